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

%% ---- Arrow through the NIF: rows (a list of maps) <-> an Arrow IPC stream ----

arrow_rows_test() ->
    case lists:member(<<"arrow-stream">>, zerial:formats()) of
        false -> ok;
        true ->
            Rows = [#{id => I, name => <<"n", (integer_to_binary(I))/binary>>, score => I * 0.5,
                      ok => I rem 2 =:= 0} || I <- lists:seq(1, 300)],
            {ok, A} = zerial:encode(Rows, #{format => arrow_stream, strings => true}),
            %% an Arrow IPC stream: continuation marker, then the schema message
            ?assertMatch(<<16#FFFFFFFF:32, _/binary>>, A),
            {ok, J} = zerial:inspect(A),
            ?assertNotEqual(nomatch, binary:match(J, <<"arrow">>)),
            %% back to rows: binary keys by default, atoms on request
            {ok, Back} = zerial:decode(A),
            ?assertEqual(300, length(Back)),
            ?assertEqual(#{<<"id">> => 7, <<"name">> => <<"n7">>, <<"score">> => 3.5, <<"ok">> => false},
                         lists:nth(7, Back)),
            ?assertEqual({ok, Rows}, zerial:decode(A, #{keys => atom})),
            %% safe mode only makes atoms that exist
            {ok, U} = zerial:encode([#{<<"zr_never_an_atom_x7">> => 1}], #{format => arrow_stream, strings => true}),
            ?assertMatch({error, {refused, _, -1}}, zerial:decode(U, #{keys => atom, safe => true})),
            ?assertEqual({ok, [#{<<"zr_never_an_atom_x7">> => 1}]}, zerial:decode(U, #{safe => true})),
            %% nulls
            {ok, N} = zerial:encode([#{x => 1}, #{x => nil}], #{format => arrow_stream}),
            ?assertEqual({ok, [#{x => 1}, #{x => nil}]}, zerial:decode(N, #{keys => atom})),
            %% rows that are not a table
            ?assertMatch({error, {type, _, _}}, zerial:encode([1, #{a => 1}], #{format => arrow_stream}))
    end.

arrow_from_python_test() ->
    %% an Arrow stream written by Python's zerial (checked in; regenerate with
    %% bindings/beam/test/py_arrow_rows.py) decodes to rows
    Path = filename:join(os:getenv("ZR_BEAM_TESTDATA", "bindings/beam/test"), "py_rows.arrows"),
    case {lists:member(<<"arrow-stream">>, zerial:formats()), file:read_file(Path)} of
        {true, {ok, A}} ->
            {ok, Rows} = zerial:decode(A, #{keys => atom}),
            ?assertEqual(5, length(Rows)),
            ?assertEqual(#{id => 0, name => <<"r0">>, score => 0.0, flag => true, opt => 0}, hd(Rows)),
            ?assertEqual(#{id => 1, name => <<"r1">>, score => 0.25, flag => false, opt => nil}, lists:nth(2, Rows)),
            ?assertEqual(#{id => 4, name => <<"r4">>, score => 1.0, flag => true, opt => 4}, lists:last(Rows));
        {true, Err} -> ?assertEqual(ok, Err);
        _ -> ok
    end.
