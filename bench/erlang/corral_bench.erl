%% The Erlang/OTP baseline of corral-bench: the same spawn, ping-pong and
%% low-rate request measurements with plain processes. corral-bench
%% compiles this module with erlc, runs it once per run with
%%
%%   erl -noshell -pa DIR -run corral_bench main Agents Pairs WarmupMs
%%       DurationMs PayloadBytes RateHz Samples
%%
%% (Pairs is a comma-separated list such as "1,2,4") and reads the
%% "key value" lines it prints on standard output.
-module(corral_bench).
-export([main/1]).

main([Agents, Pairs, WarmupMs, DurationMs, PayloadBytes, RateHz, Samples]) ->
    N = list_to_integer(Agents),
    Payload = binary:copy(<<"x">>, list_to_integer(PayloadBytes)),
    report("spawn_us", spawn_cost_us(N)),
    report("idle_bytes", idle_process_bytes(N)),
    lists:foreach(
      fun(K) ->
              Rate = round_trips_per_s(K, list_to_integer(WarmupMs),
                                       list_to_integer(DurationMs), Payload),
              report("round_trips_per_s_" ++ integer_to_list(K), Rate)
      end,
      [list_to_integer(K) || K <- string:tokens(Pairs, ",")]),
    {P50, P99} = low_rate_latency_us(list_to_integer(RateHz),
                                     list_to_integer(Samples), Payload),
    report("latency_p50_us", P50),
    report("latency_p99_us", P99),
    halt(0).

report(Key, Value) ->
    io:format("~s ~.3f~n", [Key, float(Value)]).

now_us() ->
    erlang:monotonic_time(microsecond).

%% -- spawn and memory ---------------------------------------------------------

idle() ->
    receive
        stop -> ok;
        {ping, From, Ref, Payload} -> From ! {Ref, Payload}, idle()
    end.

spawn_cost_us(N) ->
    Started = now_us(),
    Pids = [spawn(fun idle/0) || _ <- lists:seq(1, N)],
    Elapsed = now_us() - Started,
    stop_all(Pids),
    Elapsed / N.

%% Bytes the VM allocates per idle process (erlang:memory(total) before and
%% after), the counterpart of the RSS delta the C++ side measures.
idle_process_bytes(N) ->
    Warmup = [spawn(fun idle/0) || _ <- lists:seq(1, 100)],
    Before = erlang:memory(total),
    Pids = [spawn(fun idle/0) || _ <- lists:seq(1, N)],
    After = erlang:memory(total),
    stop_all(Warmup ++ Pids),
    (After - Before) / N.

stop_all(Pids) ->
    lists:foreach(fun(P) -> P ! stop end, Pids).

%% -- request-reply --------------------------------------------------------------

%% One request-reply with a unique reference and a timeout, as CAF's
%% request(...).then(...) and corral's agent_context::request do.
request(Peer, Payload) ->
    Ref = make_ref(),
    Peer ! {ping, self(), Ref, Payload},
    receive
        {Ref, _Reply} -> ok
    after 5000 -> exit(request_timeout)
    end.

pinger(Peer, Payload, Counters, Slot, Stop, Parent) ->
    request(Peer, Payload),
    counters:add(Counters, Slot, 1),
    case atomics:get(Stop, 1) of
        0 -> pinger(Peer, Payload, Counters, Slot, Stop, Parent);
        _ -> Parent ! {stopped, self()}
    end.

total(Counters, K) ->
    lists:sum([counters:get(Counters, I) || I <- lists:seq(1, K)]).

round_trips_per_s(K, WarmupMs, DurationMs, Payload) ->
    Counters = counters:new(K, [write_concurrency]),
    Stop = atomics:new(1, []),
    Parent = self(),
    Echoes = [spawn(fun idle/0) || _ <- lists:seq(1, K)],
    Pingers = [spawn(fun() -> pinger(Echo, Payload, Counters, Slot, Stop,
                                     Parent) end)
               || {Slot, Echo} <- lists:zip(lists:seq(1, K), Echoes)],
    timer:sleep(WarmupMs),
    First = total(Counters, K),
    Started = now_us(),
    timer:sleep(DurationMs),
    Last = total(Counters, K),
    Seconds = (now_us() - Started) / 1.0e6,
    atomics:put(Stop, 1, 1),
    lists:foreach(fun(P) -> receive {stopped, P} -> ok end end, Pingers),
    stop_all(Echoes),
    (Last - First) / Seconds.

%% -- low-rate latency -----------------------------------------------------------

low_rate_latency_us(RateHz, Samples, Payload) ->
    Echo = spawn(fun idle/0),
    IntervalUs = 1000000 div RateHz,
    Latencies = probe(Echo, Payload, IntervalUs, now_us() + IntervalUs,
                      Samples, []),
    stop_all([Echo]),
    Sorted = lists:sort(Latencies),
    {percentile(Sorted, 0.50), percentile(Sorted, 0.99)}.

probe(_Echo, _Payload, _IntervalUs, _Next, 0, Acc) ->
    Acc;
probe(Echo, Payload, IntervalUs, Next, Left, Acc) ->
    Wait = max(0, (Next - now_us()) div 1000),
    receive after Wait -> ok end,
    Sent = now_us(),
    request(Echo, Payload),
    Latency = now_us() - Sent,
    probe(Echo, Payload, IntervalUs, Next + IntervalUs, Left - 1,
          [Latency | Acc]).

%% Nearest-rank percentile of a sorted list.
percentile(Sorted, Fraction) ->
    Rank = max(1, min(length(Sorted), ceil(Fraction * length(Sorted)))),
    lists:nth(Rank, Sorted).
