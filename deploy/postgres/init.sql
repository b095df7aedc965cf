-- One database per service: no service reads another's tables (see ARCHITECTURE.md).
-- The postgres image runs this once, when its volume is first initialised, as
-- POSTGRES_USER, who therefore owns these databases. After editing it, recreate the
-- volume: docker compose down -v
CREATE DATABASE kesu_intake;
CREATE DATABASE kesu_classifier;
CREATE DATABASE kesu_sla_tracker;
CREATE DATABASE kesu_notifier;
CREATE DATABASE kesu_cases;
