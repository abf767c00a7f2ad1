-- Point the server at the local sandbox instead of Meta's hosts (make demo does this).
-- Run it after sql/setup.sql and BEFORE the first query (the first query exchanges
-- the verifier with the hosts the server names):
--   psql -v sandbox_url=http://127.0.0.1:8123 -f sql/sandbox.sql
-- sandbox_dialog_url defaults to <sandbox_url>/{version}/dialog/oauth.
\if :{?sandbox_url}
\else
\warn 'sql/sandbox.sql needs the sandbox URL: psql -v sandbox_url=http://127.0.0.1:8123 -f sql/sandbox.sql'
\quit
\endif
\if :{?sandbox_dialog_url}
\else
\set sandbox_dialog_url :sandbox_url '/{version}/dialog/oauth'
\endif
ALTER SERVER instagram OPTIONS (
  ADD graph_url :'sandbox_url',
  ADD dialog_url :'sandbox_dialog_url'
);
