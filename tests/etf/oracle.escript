#!/usr/bin/env escript
%% Oracle for the ETF tests: the reference terms, written with Erlang's own term_to_binary, and
%% read back with binary_to_term(B, [safe]).
%%   escript oracle.escript gen DIR    -> DIR/<case>.<variant>.etf for every case and variant
%%   escript oracle.escript check DIR... -> for every DIR/<case>.etf (written by zerial) prints
%%                                        "ok <case>" or "FAIL <case> ...", then "DONE <fails>"
%% The case list must stay in step with tests/etf/test_etf_oracle.c.
-mode(compile).

cases() ->
    [{int_small, 5},
     {int_zero, 0},
     {int_neg, -1},
     {int_255, 255},
     {int_256, 256},
     {int_32, 100000},
     {int_min32, -2147483648},
     {int_max32p1, 2147483648},
     {int_max64, 9223372036854775807},
     {int_min64, -9223372036854775808},
     {big_2_64, 1 bsl 64},
     {big_neg_2_100, -(1 bsl 100)},
     {big_huge, 1 bsl 2100},
     {float_pi, 3.14159},
     {float_big, 1.5e300},
     {float_neg, -2.5},
     {float_tiny, 5.0e-324},
     {atom_foo, foo},
     {atom_latin1, 'héllo'},
     {atom_utf8, '日本'},
     {atom_true, true},
     {atom_false, false},
     {atom_nil, nil},
     {atom_undefined, undefined},
     {tuple_small, {1, foo, <<"x">>}},
     {tuple_empty, {}},
     {tuple_large, list_to_tuple(lists:seq(1, 300))},
     {list_ints, [1, 2, 3]},
     {list_mixed, [1, <<"a">>, [], {}, -7, 2.5]},
     {list_nil, []},
     {list_nested, lists:foldl(fun(_, Acc) -> [Acc] end, [], lists:seq(1, 100))},
     {list_long_charlist, lists:duplicate(70000, 97)},
     {map_small, #{a => 1, <<"b">> => [1.5], 3 => {x}}},
     {map_empty, #{}},
     {map_large, maps:from_list([{I, integer_to_binary(I)} || I <- lists:seq(1, 100)])},
     {map_nested, #{<<"rows">> => [#{<<"id">> => I, <<"score">> => I / 4} || I <- lists:seq(1, 20)]}},
     {bin_empty, <<>>},
     {bin_small, <<1, 2, 3>>},
     {bin_large, binary:copy(<<"zerial!">>, 20000)},
     {bitstring, <<1:3>>},
     {bitstring_long, <<255, 7:5>>},
     {float_list, [I * 0.5 || I <- lists:seq(1, 1000)]},
     {timestamp_tagged, {'$zerial_timestamp', 1700000000123, millisecond, nil}}].

variants() ->
    [{"m0", [{minor_version, 0}]},
     {"m1", [{minor_version, 1}]},
     {"m2", [{minor_version, 2}]},
     {"z", [compressed]},
     {"z9m0", [{compressed, 9}, {minor_version, 0}]}].

main(["gen", Dir]) ->
    ok = filelib:ensure_dir(filename:join(Dir, "x")),
    [ok = file:write_file(filename:join(Dir, atom_to_list(Name) ++ "." ++ V ++ ".etf"),
                          term_to_binary(T, Opts))
     || {Name, T} <- cases(), {V, Opts} <- variants()],
    io:format("DONE 0~n");
main(["check" | Dirs]) ->
    Fails = lists:sum([check(Dir) || Dir <- Dirs]),
    io:format("DONE ~b~n", [Fails]);
main(_) ->
    io:format(standard_error, "usage: oracle.escript gen DIR | check DIR...~n", []),
    halt(2).

check(Dir) ->
    lists:foldl(
              fun({Name, T}, N) ->
                      F = filename:join(Dir, atom_to_list(Name) ++ ".etf"),
                      case file:read_file(F) of
                          {ok, B} ->
                              try binary_to_term(B, [safe]) of
                                  T -> io:format("ok ~s ~s~n", [Dir, Name]), N;
                                  Other -> io:format("FAIL ~s ~s got ~P~n", [Dir, Name, Other, 12]), N + 1
                              catch C:E -> io:format("FAIL ~s ~s ~p:~p~n", [Dir, Name, C, E]), N + 1
                              end;
                          {error, R} -> io:format("FAIL ~s ~s missing ~p~n", [Dir, Name, R]), N + 1
                      end
              end, 0, cases()).
