-- A tour of the runtime with a sample Python foreign data wrapper.
-- (The Instagram tables replace this tour once the data model lands.)
DROP EXTENSION IF EXISTS multicorn CASCADE;
CREATE EXTENSION multicorn;
CREATE SERVER sample FOREIGN DATA WRAPPER multicorn
  OPTIONS (wrapper 'tests.fdws.recorder.Recorder');
CREATE FOREIGN TABLE sample_rows (id int, name text, flag bool, ts timestamptz, tags text[], score float8)
  SERVER sample OPTIONS (rows '5', sortable 'id', path_keys '[[["id"], 1]]');

-- Every call into Python shows up as a NOTICE from the sample wrapper.
SELECT * FROM sample_rows WHERE id IN (2, 4);
SELECT id, name FROM sample_rows ORDER BY id DESC;
EXPLAIN SELECT name FROM sample_rows WHERE flag AND ts > now() - interval '10 years';
