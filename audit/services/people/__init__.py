"""People: accounts and roles, passwords, sign-in with its throttling, sessions, the
security trail (`accounts`); one-time invitation and reset links (`invitations`) and the
mail that carries them (`mail`)."""
