-- Sign-in attempts of the last 15 minutes, shared by every app server: the throttle counts
-- them per (account, client address) and per client address, and slows an account that
-- many clients fail on. Rows older than the window are pruned as new attempts arrive.
CREATE TABLE signin_attempts (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL,
    client TEXT NOT NULL,
    at INTEGER NOT NULL
);
CREATE INDEX signin_attempts_email ON signin_attempts(email, client, at);
CREATE INDEX signin_attempts_client ON signin_attempts(client, at);
CREATE INDEX signin_attempts_at ON signin_attempts(at);
