# proxy_cache keyed on $waav_tts_cache_key caches syntheses (POSTs) in the
# provider's internal location, as conf/waav/tts-cache.conf shows.
use Waav::Blocks 'no_plan';
use Waav::Mock qw(mock_audio);
use Waav::Tts;

use Digest::SHA qw(sha256_hex);
use Cwd qw(getcwd);

$ENV{TEST_NGINX_WAAV_ROOT} = getcwd();

tts_defaults();

# the key as ngx_http_waav_tts.c computes it: each field length-prefixed
sub main::cache_key {
    my ($provider, $model, $voice, $format, $rate, $instr, $pron, $text) = @_;
    return sha256_hex(map { pack('L', length $_) . $_ }
                      $provider, $model, $voice, $format, $rate, $instr,
                      @$pron, $text);
}

no_root_location();
run_tests();

__DATA__

=== TEST 1: the same synthesis twice hits the provider once; other text again
--- http_config
    proxy_cache_path tts_cache levels=1:2 keys_zone=waav_tts:1m max_size=100m
                     inactive=1d use_temp_path=off;

    waav_provider deepgram key=test-deepgram-key location=/_cached/deepgram;
--- config
    # as in conf/waav.conf: streaming by default, the cache turns it off
    location /_cached/ {
        internal;
        proxy_http_version 1.1;
        proxy_set_header Connection "";
        proxy_buffering off;

        location /_cached/deepgram/ {
            proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/deepgram/;

            # the shipped example, as is
            include $TEST_NGINX_WAAV_ROOT/conf/waav/tts-cache.conf;
        }
    }
--- request eval
[
'POST /speak
{"text":"Cache me","tts_config":{"provider":"deepgram"}}',
'POST /speak
{"text":"Cache me","tts_config":{"provider":"deepgram"}}',
'GET /__mock/count',
'POST /speak
{"text":"Cache me too","tts_config":{"provider":"deepgram"}}',
'GET /__mock/count',
'POST /speak
{"text":"Cache me","tts_config":{"provider":"deepgram","sample_rate":16000}}',
'GET /__mock/count',
]
--- error_code eval
[200, 200, 200, 200, 200, 200, 200]
--- response_headers eval
["Content-Type: audio/pcm
x-sample-rate: 24000", "Content-Type: audio/pcm
x-sample-rate: 24000", "", "", "", "x-sample-rate: 16000", ""]
--- response_body eval
[
Waav::Mock::mock_audio('deepgram', 16000),
Waav::Mock::mock_audio('deepgram', 16000),
'1',
Waav::Mock::mock_audio('deepgram', 16000),
'2',
Waav::Mock::mock_audio('deepgram', 16000),
'3',
]
--- no_error_log
[error]



=== TEST 2: $waav_tts_cache_key: SHA-256 over provider, model, voice, format, rate, speed, instructions, pronunciations, text
--- config
    location /_waav/deepgram/ {
        internal;
        # the key as the "audio" (a 200 that is not audio would be refused)
        default_type audio/pcm;
        return 200 $waav_tts_cache_key;
    }
--- request eval
[
'POST /speak
{"text":"Hi","tts_config":{"provider":"deepgram"}}',
'POST /speak
{"text":"Hi!","tts_config":{"provider":"deepgram"}}',
'POST /speak
{"text":"Hi","tts_config":{"provider":"deepgram","speaking_rate":1.1,"sample_rate":16000}}',
'POST /speak
{"text":"Hi Bob","tts_config":{"provider":"deepgram","pronunciations":[{"word":"Bob","pronunciation":"Robert"}]}}',
]
--- response_body eval
[
::cache_key('deepgram', '', 'aura-asteria-en', 'linear16', '24000|1', '', [], 'Hi'),
::cache_key('deepgram', '', 'aura-asteria-en', 'linear16', '24000|1', '', [], 'Hi!'),
::cache_key('deepgram', '', 'aura-asteria-en', 'linear16', '16000|1.1000000000000001', '', [], 'Hi'),
::cache_key('deepgram', '', 'aura-asteria-en', 'linear16', '24000|1', '', ['Bob', 'Robert'], 'Hi Robert'),
]
