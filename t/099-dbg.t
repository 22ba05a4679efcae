use strict;
use warnings;
use Test::More;
use lib 't/lib';
use Waav::Run;
use Waav::WS;
use JSON::PP qw(decode_json);
my $T = JSON::PP::true;
my %env = Waav::Run::mock_env();
my $w = Waav::Run->configure('099', env => {%env});
$w->add_conf('run.d/main.conf', "error_log logs/debug.log debug;\n");
$w->launch;
my $ws = Waav::WS->connect(port => $w->port, path => '/ws');
ok $ws->upgraded;
$ws->send_json({type => 'config', stt_config => {provider => 'deepgram', language => 'en', sample_rate => 16000, channels => 1, punctuation => $T, encoding => 'linear16', model => 'nova-3'}, tts_config => {provider => 'deepgram'}});
my $m = $ws->next_json(10);
diag explain $m;
for my $i (1..50) { $ws->send_binary(chr($i) x 640); }
for (1..6) { my $r = $ws->next_json(10); diag explain $r; }
$ws->send_close(1000);
diag explain $ws->next_message(5);
diag $w->mock('/__mock/ws');
system("cp " . $w->prefix . "/logs/debug.log /tmp/t/debug.log");
done_testing;
