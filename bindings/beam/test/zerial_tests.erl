%% EUnit suite for the zerial NIF (run by ctest: beam_eunit).
-module(zerial_tests).
-include_lib("eunit/include/eunit.hrl").

roundtrip(T) ->
    {ok, B} = zerial:encode(T),
    ?assertEqual(T, binary_to_term(B, [safe])),
    {ok, T2} = zerial:decode(B),
    T2.

terms_test() ->
    Ts = [0, -1, 255, 1 bsl 70, -(1 bsl 200), 3.25, -0.5, foo, 'héllo', '日本', true, false,
          {}, {a, {b, [c]}}, [], [1, 2, 3], <<>>, <<"bin">>, binary:copy(<<7>>, 100000),
          #{}, #{a => 1, <<"k">> => [#{x => 1.5}]}, maps:from_list([{I, I * 2} || I <- lists:seq(1, 100)]),
          [nil, undefined]],
    [?assertEqual(T, roundtrip(T)) || T <- Ts].

nil_is_null_test() ->
    {ok, B} = zerial:encode(nil),
    ?assertEqual({ok, nil}, zerial:decode(B)),
    ?assertEqual({ok, undefined}, zerial:decode(B, #{undefined_null => true})).

deterministic_test() ->
    M1 = maps:from_list([{I, I} || I <- lists:seq(1, 50)]),
    M2 = maps:from_list([{I, I} || I <- lists:reverse(lists:seq(1, 50))]),
    {ok, B1} = zerial:encode(M1, #{deterministic => true}),
    {ok, B2} = zerial:encode(M2, #{deterministic => true}),
    ?assertEqual(B1, B2),
    ?assertEqual(M1, binary_to_term(B1)).

compressed_test() ->
    T = lists:duplicate(1000, <<"abcabcabc">>),
    {ok, B} = zerial:encode(T, #{compressed => 9}),
    ?assertMatch(<<131, 80, _/binary>>, B),
    ?assert(byte_size(B) < byte_size(term_to_binary(T))),
    ?assertEqual({ok, T}, zerial:decode(B)).

erl_terms_decode_test() ->
    T = #{list => [1.5, 2.5], str => "abc", bits => <<1:3>>},
    {ok, D} = zerial:decode(term_to_binary(T, [{minor_version, 0}])),
    ?assertEqual(#{list => [1.5, 2.5], str => [97, 98, 99], bits => {'$zerial_bitstring', <<32>>, 3}}, D),
    {ok, D2} = zerial:decode(term_to_binary("abc"), #{charlists => string}),
    ?assertEqual(<<"abc">>, D2).

errors_test() ->
    ?assertMatch({error, {unsupported, _, 1}}, zerial:decode(term_to_binary(self()), #{format => etf})),
    ?assertMatch({error, {unsupported, _, 3}}, zerial:decode(term_to_binary({make_ref()}), #{format => etf})),
    ?assertMatch({error, {truncated, _, _}}, zerial:decode(<<131, 109, 0, 0, 0, 9, 1>>, #{format => etf})),
    ?assertMatch({error, {unsupported, _, _}}, zerial:decode(term_to_binary([1 | 2]))),
    ?assertEqual({ok, {'$zerial_improper_list', [1], 2}}, zerial:decode(term_to_binary([1 | 2]), #{improper => tagged})),
    ?assertMatch({error, {unsupported, _, -1}}, zerial:encode(self())),
    ?assertMatch({error, {not_found, _, _}}, zerial:encode(1, #{format => no_such_format})).

safe_atoms_test() ->
    Name = list_to_binary("zerial_nx_" ++ integer_to_list(erlang:unique_integer([positive]))),
    B = <<131, 119, (byte_size(Name)), Name/binary>>,
    ?assertMatch({error, {refused, _, _}}, zerial:decode(B, #{safe => true})),
    {ok, A} = zerial:decode(B),
    ?assertEqual(Name, atom_to_binary(A)).

inspect_test() ->
    {ok, J} = zerial:inspect(term_to_binary(#{a => [1, 2]})),
    ?assertNotEqual(nomatch, binary:match(J, <<"\"type\":\"map\"">>)).

zero_copy_test() ->
    Big = binary:copy(<<1, 2, 3, 4>>, 50000),
    {ok, B} = zerial:encode({Big}),
    {ok, {D}} = zerial:decode(B),
    ?assertEqual(Big, D),
    %% the decoded binary is a sub-binary of the input (here the resource binary encode returned)
    ?assertEqual(binary:referenced_byte_size(B), binary:referenced_byte_size(D)),
    B2 = term_to_binary({Big}),
    {ok, {D2}} = zerial:decode(B2),
    ?assertEqual(byte_size(B2), binary:referenced_byte_size(D2)).

formats_test() ->
    Fs = zerial:formats(),
    ?assert(lists:member(<<"etf">>, Fs)),
    T = #{<<"a">> => [1, 2.5, <<"x">>], k => {1, nil, -(1 bsl 80)}},
    [begin
         {ok, B} = zerial:encode(T, #{format => binary}),
         ?assertEqual({ok, T}, zerial:decode(B)),
         ?assertEqual({ok, T}, zerial:decode(B, #{format => binary}))
     end || lists:member(<<"binary">>, Fs)].

%% Tensors travel as {'$zerial_tensor', Dtype, Shape, Data}; npy output decodes back with the data
%% as a sub-binary of the npy bytes (zero-copy).
npy_test() ->
    case lists:member(<<"npy">>, zerial:formats()) of
        false -> ok;
        true ->
            Data = << <<(I * 1.5):64/float-little>> || I <- lists:seq(1, 600) >>,
            Tn = {'$zerial_tensor', float64, {20, 30}, Data},
            {ok, Npy} = zerial:encode(Tn, #{format => npy}),
            ?assertMatch(<<16#93, "NUMPY", _/binary>>, Npy),
            {ok, {'$zerial_tensor', float64, {20, 30}, D}} = zerial:decode(Npy),
            ?assertEqual(Data, D),
            ?assertEqual(binary:referenced_byte_size(Npy), binary:referenced_byte_size(D)),
            ?assertMatch({error, {type, _, -1}}, zerial:encode([1, 2], #{format => npy})),
            {ok, J} = zerial:inspect(Npy),
            ?assertNotEqual(nomatch, binary:match(J, <<"float64">>))
    end.

large_input_dirty_test() ->
    L = [I * 1.0 || I <- lists:seq(1, 100000)],
    {ok, B} = zerial:encode(L),
    ?assertEqual({ok, L}, zerial:decode(B)).

shm_test() ->
    R = <<"/zr-eunit-", (integer_to_binary(erlang:unique_integer([positive])))/binary>>,
    Data = << <<(I * 1.0):64/float-little>> || I <- lists:seq(1, 1000) >>,
    Tn = {'$zerial_tensor', float64, {10, 100}, Data},
    Rows = [#{<<"id">> => I, <<"blob">> => binary:copy(<<I>>, 100)} || I <- lists:seq(1, 50)],
    ok = zerial:to_shm(R, #{<<"t">> => Tn, <<"rows">> => Rows}),
    try
        {ok, M} = zerial:from_shm(R),
        ?assertEqual(#{<<"t">> => Tn, <<"rows">> => Rows}, M),
        %% tensor data is a resource binary over the mapping (not a heap copy)
        {_, _, _, D} = maps:get(<<"t">>, M),
        ?assert(binary:referenced_byte_size(D) < byte_size(D)),
        ?assertMatch({error, {exists, _, -1}}, zerial:to_shm(R, #{<<"x">> => 1})),
        ?assertMatch({error, {type, _, -1}}, zerial:to_shm(<<R/binary, "r">>, [{<<"x">>, [1]}], #{format => raw})),
        ?assertMatch({error, {not_found, _, -1}}, zerial:from_shm(<<R/binary, "r">>))
    after
        zerial:unlink_shm(R)
    end,
    ?assertMatch({error, {not_found, _, -1}}, zerial:from_shm(R)).
