%% The Erlang distribution baseline of corral-bench's cluster section: a
%% peer node started on 127.0.0.1 (long names), messages to a process on
%% it in one direction, and request-reply round trips to an echo process.
%% Prints "key value" lines for corral-bench to read.
%%
%% Usage: erl -name NAME@127.0.0.1 -noshell -pa DIR -run corral_dist_bench
%%        main WARMUP_MS DURATION_MS ROUND_TRIPS WARMUP_ROUND_TRIPS
-module(corral_dist_bench).
-export([main/1, sink/2, echo/0]).

%% Messages the sender may have sent but not seen acknowledged; the
%% distribution has no back-pressure of its own short of busy_dist_port.
-define(WINDOW, 1000).
-define(ACK_EVERY, 100).

main(Args) ->
    [WarmupMs, DurationMs, RoundTrips, WarmupRoundTrips] =
        [list_to_integer(X) || X <- Args],
    Dir = filename:dirname(code:which(?MODULE)),
    {ok, Peer, Node} = peer:start_link(
        #{name => peer:random_name(corral_bench_peer),
          host => "127.0.0.1",
          longnames => true,
          args => ["-pa", Dir,
                   "-setcookie", atom_to_list(erlang:get_cookie()),
                   "-kernel", "inet_dist_use_interface", "{127,0,0,1}"]}),
    lists:foreach(
        fun(Bytes) ->
            Rate = throughput(Node, Bytes, WarmupMs, DurationMs),
            io:format("messages_per_s_~b ~f~n", [Bytes, Rate])
        end, [64, 4096]),
    {P50, P99} = round_trips(Node, RoundTrips, WarmupRoundTrips),
    io:format("rtt_p50_us ~f~nrtt_p99_us ~f~n", [P50, P99]),
    peer:stop(Peer),
    halt(0).

%% Counts the messages that arrive and acknowledges every ?ACK_EVERY.
sink(Source, Count) ->
    receive
        {data, _Body} ->
            Next = Count + 1,
            case Next rem ?ACK_EVERY of
                0 -> Source ! ack;
                _ -> ok
            end,
            sink(Source, Next);
        {count, From} ->
            From ! {count, Count},
            sink(Source, Count);
        stop ->
            ok
    end.

source(Sink, Body) ->
    receive
        ack ->
            send_n(Sink, Body, ?ACK_EVERY),
            source(Sink, Body);
        stop ->
            ok
    end.

send_n(_Sink, _Body, 0) -> ok;
send_n(Sink, Body, N) ->
    Sink ! {data, Body},
    send_n(Sink, Body, N - 1).

throughput(Node, Bytes, WarmupMs, DurationMs) ->
    Body = binary:copy(<<"x">>, Bytes),
    Self = self(),
    Source = spawn(fun() ->
                       receive {sink, Sink} -> ok end,
                       Self ! started,
                       send_n(Sink, Body, ?WINDOW),
                       source(Sink, Body)
                   end),
    Sink = spawn(Node, ?MODULE, sink, [Source, 0]),
    Source ! {sink, Sink},
    receive started -> ok end,
    timer:sleep(WarmupMs),
    {Start, StartCount} = sample(Sink),
    timer:sleep(DurationMs),
    {End, EndCount} = sample(Sink),
    Source ! stop,
    Sink ! stop,
    (EndCount - StartCount) / ((End - Start) / 1.0e9).

sample(Sink) ->
    Sink ! {count, self()},
    receive {count, Count} -> {erlang:monotonic_time(nanosecond), Count} end.

echo() ->
    receive
        {From, Body} ->
            From ! {echo, Body},
            echo();
        stop ->
            ok
    end.

round_trips(Node, RoundTrips, WarmupRoundTrips) ->
    Echo = spawn(Node, ?MODULE, echo, []),
    Body = binary:copy(<<"x">>, 64),
    time_round_trips(Echo, Body, WarmupRoundTrips),
    Samples = lists:sort(time_round_trips(Echo, Body, RoundTrips)),
    Echo ! stop,
    {percentile(Samples, 0.5), percentile(Samples, 0.99)}.

time_round_trips(Echo, Body, N) ->
    [begin
         Start = erlang:monotonic_time(nanosecond),
         Echo ! {self(), Body},
         receive {echo, _} -> ok end,
         (erlang:monotonic_time(nanosecond) - Start) / 1000
     end || _ <- lists:seq(1, N)].

%% Nearest-rank percentile of a sorted list.
percentile(Sorted, Fraction) ->
    Rank = max(1, min(length(Sorted), ceil(Fraction * length(Sorted)))),
    lists:nth(Rank, Sorted).
