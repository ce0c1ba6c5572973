"""Imports from spreadsheets (XLSX/CSV): establishments and past schemes, read in the
background into a dry-run preview, written all or nothing through the domain services
once an officer confirms. ``files`` opens uploads safely, ``cells`` reads typed cells,
``base`` the columns and rows, ``places`` communes new and old, one module per kind of
data, ``services`` the jobs, ``template`` the downloadable template, ``views`` the pages."""
