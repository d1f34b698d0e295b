#!/usr/bin/env escript
%% Erlang side of bench/etf: builds the two data sets, writes them with term_to_binary to DIR
%% (the C side decodes and re-encodes exactly these bytes), and times erl's own binary_to_term
%% and term_to_binary on them with timer:tc. Prints one JSON object (medians, microseconds).
-mode(compile).

median(L) -> lists:nth((length(L) + 1) div 2, lists:sort(L)).

%% {median wall microseconds (timer:tc), median VM CPU microseconds (statistics(runtime), ms resolution)}
time(F, Reps) ->
    F(), %% warm-up
    Runs = [begin
                {R0, _} = statistics(runtime),
                {W, _} = timer:tc(F),
                {R1, _} = statistics(runtime),
                {W, (R1 - R0) * 1000}
            end || _ <- lists:seq(1, Reps)],
    {median([W || {W, _} <- Runs]), median([C || {_, C} <- Runs])}.

main([Dir, RepsS]) ->
    Reps = list_to_integer(RepsS),
    Maps = [#{<<"id">> => I, <<"name">> => <<"user", (integer_to_binary(I))/binary>>,
              <<"score">> => I * 0.25, <<"active">> => (I rem 2 =:= 0)}
            || I <- lists:seq(1, 100000)],
    Floats = [I * 0.001 || I <- lists:seq(1, 1000000)],
    Res = [begin
               B = term_to_binary(T),
               ok = file:write_file(filename:join(Dir, Name ++ ".etf"), B),
               {Dec, DecC} = time(fun() -> binary_to_term(B) end, Reps),
               {Enc, EncC} = time(fun() -> term_to_binary(T) end, Reps),
               io_lib:format("\"~s\":{\"bytes\":~b,\"erl_decode_us\":~b,\"erl_encode_us\":~b,"
                             "\"erl_decode_cpu_us\":~b,\"erl_encode_cpu_us\":~b}",
                             [Name, byte_size(B), Dec, Enc, DecC, EncC])
           end || {Name, T} <- [{"maps_100k", Maps}, {"floats_1m", Floats}]],
    io:format("{\"otp\":\"~s\",\"reps\":~b,~s}~n",
              [erlang:system_info(otp_release), Reps, lists:join(",", Res)]).
