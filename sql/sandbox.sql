-- Point the server at the local sandbox instead of Meta's hosts (make demo does this).
--   psql -v sandbox_url=http://127.0.0.1:8123 -f sql/sandbox.sql
ALTER SERVER instagram OPTIONS (
  ADD graph_url :'sandbox_url',
  ADD dialog_url :'sandbox_dialog_url'
);
