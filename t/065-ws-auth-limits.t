# A /ws session authenticated by its auth message (no token at the
# upgrade) is held to the limits keyed on its tenant ($waav_tenant): the
# lines the upgrade skipped (its tenant was not known) are walked when the
# auth message is taken, before "authenticated"; a refusal is the line's
# message and a close.  With the node's counters and with Redis.  Messages
# sent right behind the auth message wait for it.
use strict;
use warnings;
use Test::More;
use lib 't/lib';
use Waav::Run;
use Waav::WS;
use Waav::Redis;
use Time::HiRes qw(sleep time);

my %env = (
    AUTH_REQUIRED => 'true',
    AUTH_API_SECRETS_JSON => '[{"id":"acme","secret":"secret-acme-0000"},'
                           . '{"id":"beta","secret":"secret-beta-0000"}]',
    WORKER_PROCESSES => 1,
);

# an upgrade without a token, then the auth message: its first answer
sub by_message {
    my ($w, $secret) = @_;
    my $ws = Waav::WS->connect(port => $w->port, path => '/ws');
    $ws->upgraded or return ($ws, undef);
    my $first = $ws->next_json(10);
    is $first->{type}, 'auth_required', 'auth_required first';
    $ws->send_json({type => 'auth', token => $secret});
    $ws->send_json({type => 'ping'});        # right behind it: it waits
    return ($ws, $ws->next_json(10));
}

sub refused_with {
    my ($ws, $r, $message) = @_;
    is_deeply $r, {type => 'error', message => $message}, "refused: $message";
    my $c = $ws->next_message(10);
    is $c->{type}, 'close', 'then a close';
    is $c->{code}, 1008, 'code 1008';
}

sub launch {
    my ($name, $redis, @lines) = @_;
    my $w = Waav::Run->configure($name, env => \%env);
    $w->add_conf('run.d/http.conf', "waav_limit_zone tenant:1m key=\$waav_tenant$redis;");
    $w->add_conf('run.d/ws.conf', join "\n", @lines);
    return $w->launch;
}

sub done {
    my ($w) = @_;
    diag $w->error_log unless Test::More->builder->is_passing;
    $w->finish;
}

for my $backend ('shm', 'redis') {
    my $redis = '';
    if ($backend eq 'redis') {
        redis_start();
        redis_cmd('FLUSHALL');
        $redis = " redis=redis://127.0.0.1:$ENV{TEST_NGINX_REDIS_PORT}";
    }

    subtest "a tenant's concurrency, by auth message ($backend)" => sub {
        my $w = launch("063c$backend", $redis,
            'waav_limit zone=tenant concurrency=1 "message=Too many sessions for your tenant.";');

        my ($a, $ra) = by_message($w, 'secret-acme-0000');
        is_deeply $ra, {type => 'authenticated', id => 'acme'}, 'the first acme session';
        is $a->next_json(10)->{type}, 'pong', 'the ping behind the auth message, answered after it';
        like redis_slots(), qr/^:?1$/, 'the slot is held in Redis' if $redis;

        my ($b, $rb) = by_message($w, 'secret-acme-0000');
        refused_with($b, $rb, 'Too many sessions for your tenant.');

        my ($o, $ro) = by_message($w, 'secret-beta-0000');
        is_deeply $ro, {type => 'authenticated', id => 'beta'}, 'another tenant is not held to it';

        # the first ends: its slot comes back once its request is gone
        $a->send_close(1000);
        $a->wait_eof(5);
        my ($c, $rc);
        for (1 .. 100) {
            ($c, $rc) = by_message($w, 'secret-acme-0000');
            last if ($rc->{type} // '') eq 'authenticated';
            sleep 0.1;
        }
        is_deeply $rc, {type => 'authenticated', id => 'acme'}, 'a session again once the first ended';
        done($w);
    };

    subtest "a tenant's rate, by auth message ($backend)" => sub {
        my $w = launch("063r$backend", $redis, 'waav_limit zone=tenant rate=1r/m;');

        my ($a, $ra) = by_message($w, 'secret-acme-0000');
        is_deeply $ra, {type => 'authenticated', id => 'acme'}, 'the first acme session';
        my ($b, $rb) = by_message($w, 'secret-acme-0000');
        is $rb->{type}, 'error', 'the second within the minute: refused';
        like $rb->{message}, qr/^Too Many Requests! Wait for \d+s$/, 'WaaV\'s text';
        my $cl = $b->next_message(10);
        is $cl->{type}, 'close', 'then a close';
        my ($o, $ro) = by_message($w, 'secret-beta-0000');
        is_deeply $ro, {type => 'authenticated', id => 'beta'}, 'another tenant has its own';
        done($w);
    };

    redis_stop() if $backend eq 'redis';
}

subtest 'a second auth message does not move the session to another tenant' => sub {
    my $w = launch('063t', '',
        'waav_limit zone=tenant concurrency=1 "message=Too many sessions for your tenant.";');
    my ($a, $ra) = by_message($w, 'secret-acme-0000');
    is_deeply $ra, {type => 'authenticated', id => 'acme'}, 'acme';
    is $a->next_json(10)->{type}, 'pong', 'pong';
    my ($b, $rb) = by_message($w, 'secret-beta-0000');
    is_deeply $rb, {type => 'authenticated', id => 'beta'}, 'beta holds its one session';
    $a->send_json({type => 'auth', token => 'secret-beta-0000'});
    is_deeply $a->next_json(10), {type => 'error', message => 'Already authenticated'},
        "acme's session does not become beta's second";
    $a->send_json({type => 'ping'});
    is $a->next_json(10)->{type}, 'pong', 'the session goes on';
    done($w);
};

done_testing;
