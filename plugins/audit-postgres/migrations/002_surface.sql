-- The client's wire format (openai, anthropic, genai, bedrock). Rows written
-- before the other surfaces existed all came through the OpenAI surface.
ALTER TABLE gateway_audit ADD COLUMN IF NOT EXISTS surface text NOT NULL DEFAULT 'openai';
