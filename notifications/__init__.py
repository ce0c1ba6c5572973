"""In-app notifications of what happens to a dossier, their e-mail delivery (immediately or
in a daily digest) and the watches users put on dossiers. Sits above ``applications``:
it listens to ``applications.signals`` and reads the workflow; nothing imports it."""
