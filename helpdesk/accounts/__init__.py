"""People: accounts and sign-in, the sign-in throttle, passwords and one's own profile."""
