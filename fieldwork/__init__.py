"""The commune officer's desk: a phone-first home (their commune's establishments and
schemes, what waits on them, their commune's figures) and field visits with photos taken
on the phone. Sits above ``applications`` (reads it, nothing imports this app)."""
