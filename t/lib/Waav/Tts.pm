package Waav::Tts;

# Shared setup for the waav_tts test files: the providers, the /speak and
# /v1/audio/speech locations, and provider locations that proxy to the mock.
#
#   use Waav::Blocks 'no_plan';
#   use Waav::Tts;
#   tts_defaults();          # blocks without their own http_config get ours
#
# Expected mock requests: ::last_request(LINE, BODY, HEADER...) in eval
# sections (they run in another package, hence the ::).

use strict;
use warnings;
use Exporter 'import';
use Waav::Blocks ();

our @EXPORT = qw(tts_defaults $Providers $Locations);

our $Providers = <<'_EOC_';
    waav_provider deepgram   key=test-deepgram-key;
    waav_provider elevenlabs key=test-elevenlabs-key;
    waav_provider openai     key=test-openai-key;
    waav_provider cartesia   key=test-cartesia-key;
    waav_provider kokoro     type=openai-compatible;
_EOC_

our $ProviderLocations = <<'_EOC_';
        location /_waav/deepgram/ {
            proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/deepgram/;
        }
        location /_waav/elevenlabs/ {
            proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/elevenlabs/;
        }
        location /_waav/openai/ {
            proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/openai/v1/;
        }
        location /_waav/cartesia/ {
            proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/cartesia/;
        }
        location /_waav/kokoro/ {
            proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/compat/v1/;
        }
_EOC_

our $Locations = <<"_EOC_";
    location = /speak { waav_tts; }
    location = /v1/audio/speech { waav_tts openai; }

    location /__mock/ { proxy_pass http://127.0.0.1:\$TEST_NGINX_MOCK_PORT; }

    location /_waav/ {
        internal;
        proxy_http_version 1.1;
        proxy_set_header Connection "";
        proxy_buffering off;
        proxy_read_timeout 5s;
        proxy_ignore_headers X-Accel-Redirect X-Accel-Limit-Rate
                             X-Accel-Buffering X-Accel-Charset;

$ProviderLocations
    }
_EOC_

# --- no_default_locations in a block leaves its config alone
sub tts_defaults {
    Waav::Blocks::add_block_preprocessor(sub {
        my $block = shift;
        $block->set_value('http_config', $Providers)
            unless defined $block->http_config;
        $block->set_value('config', $Locations . ($block->config // ''))
            unless defined $block->no_default_locations;
        $block->set_value('more_headers', 'Content-Type: application/json')
            unless defined $block->more_headers;
    });
}

# what GET /__mock/last prints for a request: headers sorted, with the
# Content-Length the body has
sub main::last_request {
    my ($line, $body, @headers) = @_;
    my @h = sort(@headers, 'content-length: ' . length $body);
    return "$line\n" . join('', map { "$_\n" } @h) . "\n$body";
}

1;
