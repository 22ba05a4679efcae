-- POST /speak to the provider the reload row uses (elevenlabs in the
-- bench's generated configuration: a fake provider outside the nginx that
-- reloads)
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"text":"Hello from the waav benchmark","tts_config":{"provider":"elevenlabs"}}'
