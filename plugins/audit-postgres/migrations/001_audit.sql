-- The audit table: one row per request. `id` is the audit record's own id
-- (a UUID made by the gateway), so a replayed batch inserts nothing twice
-- (ON CONFLICT (id) DO NOTHING); request ids come from clients and are
-- indexed, not unique.
CREATE TABLE IF NOT EXISTS gateway_audit (
  id                 uuid PRIMARY KEY,
  time               timestamptz NOT NULL,
  request_id         text NOT NULL,
  endpoint           text NOT NULL,
  stream             boolean NOT NULL,
  status             integer NOT NULL,
  key_name           text,
  team_name          text,
  org_name           text,
  route              text,
  provider           text,
  model              text,
  attempts           integer NOT NULL,
  duration_ms        integer NOT NULL,
  ttft_ms            integer,
  upstream_ms        integer NOT NULL,
  prompt_tokens      integer,
  completion_tokens  integer,
  total_tokens       integer,
  cost_usd           double precision,
  error              jsonb,
  tags               jsonb NOT NULL,
  verdicts           jsonb NOT NULL,
  content            jsonb
);
CREATE INDEX IF NOT EXISTS gateway_audit_request_id ON gateway_audit (request_id);
CREATE INDEX IF NOT EXISTS gateway_audit_time ON gateway_audit (time);
