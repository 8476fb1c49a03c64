-- What the application role tte_app, the one `tte-mothership serve` connects
-- as, may do on the tables `tte-mothership init` made as tte_owner
-- (docs/operations.md, "Running on PostgreSQL, several instances"). Run as
-- tte_owner after init, and again after a migration that adds a table:
--   psql "postgresql://tte_owner@HOST/tte" -v ON_ERROR_STOP=1 -f grants.sql
-- No DELETE anywhere, and nothing but INSERT on the audit log: the application
-- can neither rewrite nor shorten the hash chain.
GRANT USAGE ON SCHEMA public TO tte_app;
GRANT SELECT ON meta TO tte_app;
GRANT SELECT, INSERT, UPDATE ON devices, throttle TO tte_app;
GRANT SELECT, INSERT ON audit TO tte_app;
