"""Sign-up, sign-in, sign-out and passwords."""
