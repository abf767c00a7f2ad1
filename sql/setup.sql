-- ig_fdw set-up: the server, your user mapping and the foreign tables.
--
--   psql -v business_account_id=17841400000000000 -v client_id=<app id> \
--        -v client_secret=<app secret> -v verifier=<code from the redirect> -f sql/setup.sql
--
-- The verifier is the `code` your browser was redirected with after you opened
-- the authorization URL (`ig-fdw auth-url`, or SELECT * FROM
-- instagram.get_oauth_authorization_url once the schema exists).  It is
-- exchanged once, on first use, for a long-lived token kept encrypted in the
-- server's OAuth settings file; ig_fdw refreshes it from then on
-- (InitiateOAuth REFRESH).  See docs/oauth.md for the other flows.

CREATE EXTENSION IF NOT EXISTS multicorn;

DROP SERVER IF EXISTS instagram CASCADE;
CREATE SERVER instagram FOREIGN DATA WRAPPER multicorn OPTIONS (
  wrapper 'ig_fdw.InstagramFDW',
  BusinessAccountId :'business_account_id',
  OAuthClientId :'client_id'
);

-- Secrets go in a user mapping, never in SERVER options (those are readable by every role).
CREATE USER MAPPING FOR CURRENT_USER SERVER instagram OPTIONS (
  InitiateOAuth 'REFRESH',
  OAuthClientSecret :'client_secret',
  OAuthVerifier :'verifier'
);

DROP SCHEMA IF EXISTS instagram CASCADE;
CREATE SCHEMA instagram;
IMPORT FOREIGN SCHEMA instagram FROM SERVER instagram INTO instagram;
