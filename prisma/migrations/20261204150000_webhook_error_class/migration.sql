-- Deliveries keep an error class, never what the receiver answered (ADR 0032). The bodies
-- stored so far (up to 300 characters from the target, possibly an internal service) are
-- replaced by their class. Data only: the column stays.
UPDATE "WebhookDelivery"
   SET "lastError" = CASE
         WHEN "lastError" ~ '^HTTP 3' THEN 'redirect'
         WHEN "lastError" ~ '^HTTP 4' THEN 'http_4xx'
         WHEN "lastError" ~ '^HTTP 5' THEN 'http_5xx'
         WHEN "lastError" ~ '^HTTP ' THEN 'http_other'
         WHEN "lastError" ~* 'timed out|timeout' THEN 'timeout'
         WHEN "lastError" ~ 'ECONNREFUSED' THEN 'refused'
         WHEN "lastError" ~ 'ENOTFOUND|EAI_AGAIN' THEN 'dns'
         WHEN "lastError" ~* 'cert|tls|ssl' THEN 'tls'
         ELSE 'network'
       END
 WHERE "lastError" IS NOT NULL;
