-- A short tour of ig_fdw (make demo runs it against the sandbox).
\pset footer off
\set ECHO queries

-- 1. The account's profile
SELECT username, name, followers_count, follows_count, media_count
FROM instagram.instagram_business_profile;

-- 2. Recent media: ORDER BY timestamp DESC is the API's own order, LIMIT stops paging
SELECT timestamp, media_type, media_product_type, like_count, comments_count, left(caption, 40) AS caption
FROM instagram.media
ORDER BY timestamp DESC
LIMIT 5;

-- 3. Top posts by engagement over the 30 days before the latest post
--    (the timestamp range becomes since/until: only those pages are read)
SELECT id, timestamp::date AS day, like_count + comments_count AS engagement, left(caption, 30) AS caption
FROM instagram.media
WHERE timestamp >= (SELECT max(timestamp) FROM instagram.media WHERE timestamp > '2026-10-01') - interval '30 days'
ORDER BY engagement DESC NULLS LAST
LIMIT 5;

-- 4. Comments with their replies, for one post (a join on comment_id fetches only those threads)
SELECT left(c.text, 30) AS comment, c.username, left(r.text, 30) AS reply, r.username AS replier
FROM instagram.comments c
JOIN instagram.replies r ON r.comment_id = c.id
WHERE c.media_id = (SELECT id FROM instagram.media WHERE comments_count > 50 LIMIT 1)
LIMIT 8;

-- 5. Media insights joined with a local table: only the joined media are read
CREATE TEMP TABLE campaign_posts AS
  SELECT id AS media_id, 'autumn launch' AS campaign
  FROM instagram.media WHERE media_product_type = 'FEED' LIMIT 3;
ANALYZE campaign_posts;   -- row counts let the planner pick the nested loop
SELECT p.campaign, p.media_id, i.reach, i.likes, i.saved, i.total_interactions
FROM campaign_posts p
JOIN instagram.media_insights i ON i.media_id = p.media_id;

-- 6. Account insights by day (since/until are filters that become API parameters)
SELECT end_time::date AS day, reach, follower_count
FROM instagram.account_insights
WHERE since >= '2026-10-20' AND until < '2026-10-27'
ORDER BY day;

-- 7. What a pushed-down query asks the Graph API
EXPLAIN SELECT caption, like_count
FROM instagram.media
WHERE id IN ('17950480502448134', '17900902937670682') ;
