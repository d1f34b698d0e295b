%% EUnit suite for the NIF's own C code (bindings/beam/c_src/zerial_nif.c), run by ctest beam_eunit
%% next to zerial_tests. It calls every NIF entry point directly (zerial exports the raw *_nif
%% functions for this) with good and bad terms, so that the glue's argument checks, error paths,
%% resource lifetimes and term building all run under the checker of the build: ASan + UBSan +
%% LeakSanitizer in the ZR_SANITIZE build (`make test`), valgrind memcheck in the ZR_VALGRIND build
%% (`make test-valgrind`). See docs/guides/beam.md, "How the NIF is checked".
%%
%% Every call must end in a value, {error, {Code, Message, Offset}} or a badarg exception: never a
%% crash of the VM (which the checker turns into a failed test).
-module(zerial_nif_tests).
-include_lib("eunit/include/eunit.hrl").

%% ---- helpers ---------------------------------------------------------------------------------

%% the outcome of one call, as a shape the tests can assert on
outcome(F) ->
    try F() of
        {ok, _} -> ok;
        ok -> ok;
        {error, {Code, Msg, Off}} when is_atom(Code), is_binary(Msg), is_integer(Off) -> {error, Code};
        L when is_list(L) -> ok;
        Other -> {unexpected, Other}
    catch
        error:badarg -> badarg;
        C:R -> {unexpected, {C, R}}
    end.

clean(F) ->
    case outcome(F) of
        {unexpected, _} = U -> U;
        _ -> clean
    end.

has(Fmt) -> lists:member(Fmt, zerial:formats_nif()).

region(Tag) ->
    <<"/zr-nif-", Tag/binary, "-", (integer_to_binary(erlang:unique_integer([positive])))/binary>>.

%% an npy file with a hand-written header (dtype descr, fortran order, shape) and raw data
npy(Descr, Fortran, Shape, Data) ->
    Dict = iolist_to_binary(["{'descr': '", Descr, "', 'fortran_order': ", Fortran, ", 'shape': ", Shape, ", }"]),
    Pad = (64 - ((10 + byte_size(Dict) + 1) rem 64)) rem 64,
    Header = <<Dict/binary, (binary:copy(<<" ">>, Pad))/binary, "\n">>,
    <<16#93, "NUMPY", 1, 0, (byte_size(Header)):16/little, Header/binary, Data/binary>>.

nested(0, Leaf) -> Leaf;
nested(N, Leaf) -> nested(N - 1, [Leaf]).

call(Fun, Args) -> fun() -> apply(zerial, Fun, Args) end.

%% ---- argument checking: every entry point, every argument position ---------------------------

bad_values() ->
    [an_atom, -1, 1 bsl 70, 1.5, self(), make_ref(), <<1:3>>, [1 | 2], {1, 2}, #{}, "list",
     binary:copy(<<"x">>, 40), <<"nul", 0, "name">>, <<>>].

%% replace argument I of Args with each bad value: the NIF must answer (badarg or an error tuple)
sweep_args(Fun, Args) ->
    [{Fun, I, V, R} || I <- lists:seq(1, length(Args)), V <- bad_values(),
                       R <- [clean(call(Fun, setnth(I, Args, V)))], R =/= clean].

setnth(I, L, V) -> tuple_to_list(setelement(I, list_to_tuple(L), V)).

bad_arguments_test() ->
    R = region(<<"args">>),
    Sweeps = sweep_args(encode_nif, [#{a => [1]}, <<"etf">>, 0, 0, 0])
        ++ sweep_args(decode_nif, [term_to_binary(#{a => [1]}), <<"auto">>, 0, 0, 0])
        ++ sweep_args(inspect_nif, [term_to_binary(#{a => [1]})])
        ++ sweep_args(to_shm_nif, [R, [{<<"a">>, 1}], <<"auto">>, 0, 0])
        ++ sweep_args(from_shm_nif, [R, 0, 0])
        ++ sweep_args(unlink_shm_nif, [R]),
    [zerial:unlink_shm_nif(X) || X <- [R]],
    ?assertEqual([], Sweeps).

badarg_positions_test() ->
    %% type errors are badarg; each argument is checked
    B = term_to_binary(1),
    ?assertError(badarg, zerial:encode_nif(1, 42, 0, 0, 0)),
    ?assertError(badarg, zerial:encode_nif(1, <<"etf">>, -1, 0, 0)),
    ?assertError(badarg, zerial:encode_nif(1, <<"etf">>, 0, 1 bsl 40, 0)),
    ?assertError(badarg, zerial:encode_nif(1, <<"etf">>, 0, 0, 1.0)),
    ?assertError(badarg, zerial:decode_nif(<<1:7>>, <<"etf">>, 0, 0, 0)),
    ?assertError(badarg, zerial:decode_nif(B, "etf", 0, 0, 0)),
    ?assertError(badarg, zerial:decode_nif(B, <<"etf">>, x, 0, 0)),
    ?assertError(badarg, zerial:decode_nif(B, <<"etf">>, 0, x, 0)),
    ?assertError(badarg, zerial:decode_nif(B, <<"etf">>, 0, 0, x)),
    ?assertError(badarg, zerial:inspect_nif([1])),
    ?assertError(badarg, zerial:to_shm_nif(<<"/r">>, [x | y], <<"auto">>, 0, 0)),
    ?assertError(badarg, zerial:from_shm_nif(<<"/r">>, 0, 1 bsl 65)),
    ?assertError(badarg, zerial:unlink_shm_nif(<<"/r", 0>>)),
    %% the bad-argument checks of a large (dirty-scheduled) decode are the same
    Big = term_to_binary(binary:copy(<<1>>, 100000)),
    ?assertError(badarg, zerial:decode_nif(Big, <<"etf">>, 0, 0, nope)).

format_names_test() ->
    T = #{k => [1, 2]},
    %% the longest name that fits (31 bytes) is looked up; 32 bytes is a bad argument
    %% (the message is exactly this: it once ended in " at " and uninitialised stack bytes)
    E31 = binary:copy(<<"e">>, 31),
    ?assertEqual({error, {not_found, <<"no format named \"", E31/binary, "\" in this build">>, -1}},
                 zerial:encode_nif(T, E31, 0, 0, 0)),
    ?assertError(badarg, zerial:encode_nif(T, binary:copy(<<"e">>, 32), 0, 0, 0)),
    ?assertMatch({ok, _}, zerial:encode_nif(T, etf, 0, 0, 0)),
    ?assertError(badarg, zerial:encode_nif(T, list_to_atom(lists:duplicate(40, $e)), 0, 0, 0)),
    %% a name with a NUL byte is not the name before the NUL
    ?assertError(badarg, zerial:encode_nif(T, <<"etf", 0, "junk">>, 0, 0, 0)),
    ?assertError(badarg, zerial:decode_nif(term_to_binary(T), <<"etf", 0>>, 0, 0, 0)),
    ?assertError(badarg, zerial:to_shm_nif(region(<<"nul">>), [{<<"a">>, 1}], <<"auto", 0>>, 0, 0)),
    ?assertMatch({error, {format, _, 0}}, zerial:decode_nif(term_to_binary(T), <<"no-such">>, 0, 0, 0)),
    ?assertMatch({error, {format, _, 0}}, zerial:decode_nif(<<"garbage that is no format">>, <<"auto">>, 0, 0, 0)),
    ?assertMatch({error, {format, _, 0}}, zerial:decode_nif(<<>>, <<"auto">>, 0, 0, 0)),
    ?assertMatch({error, {format, _, 0}}, zerial:inspect_nif(<<>>)),
    ?assertMatch({error, {format, _, 0}}, zerial:inspect_nif(<<"not a format">>)).

%% every flag bit and extreme levels: the library must take them (or refuse cleanly)
flags_and_levels_test() ->
    T = [#{<<"id">> => I, <<"s">> => <<"v", (integer_to_binary(I))/binary>>} || I <- lists:seq(1, 40)],
    Bad = [{F, Fl, Ef, L, R} || F <- zerial:formats_nif(), Fl <- [0, 16#FFFFFFFF], Ef <- [0, 16#FFFFFFFF],
                                L <- [0, -(1 bsl 31), (1 bsl 31) - 1],
                                R <- [clean(call(encode_nif, [T, F, Fl, Ef, L]))], R =/= clean],
    ?assertEqual([], Bad),
    {ok, B} = zerial:encode_nif(T, <<"etf">>, 0, 0, 0),
    ?assertEqual([], [{Fl, C, S, R} || Fl <- [0, 16#FFFFFFFF, 16#10000], C <- [0, 1, -5], S <- [0, 1],
                                      R <- [clean(call(decode_nif, [B, <<"auto">>, Fl, C, S]))], R =/= clean]).

%% ---- hostile input: truncations and byte flips of every format's output ------------------

samples() ->
    Tensor = {'$zerial_tensor', float64, {3, 4}, << <<(I * 0.5):64/float-little>> || I <- lists:seq(1, 12) >>},
    Rows = [#{<<"id">> => I, <<"name">> => <<"n", (integer_to_binary(I))/binary>>, <<"x">> => I * 1.5,
              <<"blob">> => binary:copy(<<I>>, 70)} || I <- lists:seq(1, 6)],
    [#{<<"a">> => [1, -2, 3.5, <<"str">>, nil, true], k => {x, 'hé', 1 bsl 70}, <<"big">> => binary:copy(<<"z">>, 200)},
     Tensor, Rows, lists:seq(1, 40), [binary:copy(<<"q">>, 100), {}, #{}]].

%% positions to cut or flip: every byte of the first 64 (headers), then ~24 over the rest
positions(Size) ->
    Head = lists:seq(0, min(Size, 64) - 1),
    Rest = case Size > 64 of
               true -> lists:seq(64, Size - 1, max(1, Size div 24));
               false -> []
           end,
    lists:usort(Head ++ Rest).

hostile_input_test_() ->
    {timeout, 240, fun hostile_input/0}.

hostile_input() ->
    Encoded = [{F, B} || F <- zerial:formats_nif(), T <- samples(), {ok, B} <- [zerial:encode_nif(T, F, 0, 0, 0)]],
    ?assert(length(Encoded) >= 10),
    Bad = lists:append(
            [[{F, cut, P, R} || P <- positions(byte_size(B)), Fmt <- [F, <<"auto">>],
                                R <- [clean(call(decode_nif, [binary:part(B, 0, P), Fmt, 0, 0, 0]))], R =/= clean]
             ++ [{F, flip, P, R} || P <- positions(byte_size(B)),
                                    Flipped <- [flip(B, P, 16#FF), flip(B, P, 16#81)],
                                    Fmt <- [F, <<"auto">>], Copy <- [0, 1],
                                    R <- [clean(call(decode_nif, [Flipped, Fmt, 0, Copy, 0]))], R =/= clean]
             ++ [{F, inspect, P, R} || P <- positions(byte_size(B)),
                                       In <- [binary:part(B, 0, P), flip(B, P, 16#FF)],
                                       R <- [clean(call(inspect_nif, [In]))], R =/= clean]
             || {F, B} <- Encoded]),
    ?assertEqual([], Bad).

flip(B, P, Mask) ->
    <<Pre:P/binary, X, Post/binary>> = B,
    <<Pre/binary, (X bxor Mask), Post/binary>>.

%% ---- term building: every kind of value, the fallbacks through the external term format ----

deep_nesting_test() ->
    %% nesting up to the default depth limit (512) works in every format; deeper is a limit error,
    %% on the normal scheduler (small input) and on the dirty one (input > 64 KiB)
    Leaf = binary:copy(<<"L">>, 70000),
    [begin
         {ok, B} = zerial:encode_nif(nested(500, [1]), F, 0, 0, 0),
         ?assertMatch({ok, _}, zerial:decode_nif(B, F, 0, 0, 0))
     end || F <- [<<"etf">>, <<"binary">>, <<"json">>, <<"pickle">>], has(F)],
    {ok, Big} = zerial:encode_nif(nested(500, Leaf), <<"etf">>, 0, 0, 0),
    ?assert(byte_size(Big) > 65536),
    ?assertEqual({ok, nested(500, Leaf)}, zerial:decode_nif(Big, <<"etf">>, 0, 0, 0)),
    ?assertMatch({error, {limit, _, _}}, zerial:decode_nif(term_to_binary(nested(5000, Leaf)), <<"etf">>, 0, 0, 0)),
    ?assertMatch({error, {limit, _, -1}}, zerial:encode_nif(nested(5000, 1), <<"etf">>, 0, 0, 0)).

big_containers_test() ->
    %% more than 16 items (heap arrays instead of the stack array), tuples, maps
    L = lists:seq(1, 1000),
    T = list_to_tuple(L),
    M = maps:from_list([{I, {I}} || I <- L]),
    [?assertEqual({ok, X}, zerial:decode_nif(element(2, zerial:encode_nif(X, <<"etf">>, 0, 0, 0)), <<"auto">>, 0, C, 0))
     || X <- [L, T, M, [T, M, L]], C <- [0, 1]].

duplicate_map_keys_test() ->
    %% a JSON object with a repeated key: the last one wins (enif_make_map_from_arrays refuses)
    case has(<<"json">>) of
        true ->
            ?assertEqual({ok, #{<<"a">> => 2, <<"b">> => 3}},
                         zerial:decode_nif(<<"{\"a\":1,\"b\":3,\"a\":2}">>, <<"json">>, 0, 0, 0));
        false -> ok
    end.

floats_test() ->
    %% NaN and infinities cannot be terms: the NIF reports an error instead of making one
    case has(<<"binary">>) of
        true ->
            {ok, B} = zerial:encode_nif([1.5, 2.5], <<"binary">>, 0, 0, 0),
            Pat = <<1.5:64/float-little>>,
            case binary:match(B, Pat) of
                {Pos, 8} ->
                    [begin
                         Bad = <<(binary:part(B, 0, Pos))/binary, Bits/binary,
                                 (binary:part(B, Pos + 8, byte_size(B) - Pos - 8))/binary>>,
                         ?assertMatch({error, {_, _, _}}, zerial:decode_nif(Bad, <<"binary">>, 0, 0, 0))
                     end || Bits <- [<<0, 0, 0, 0, 0, 0, 16#F8, 16#7F>>, <<0, 0, 0, 0, 0, 0, 16#F0, 16#7F>>,
                                     <<0, 0, 0, 0, 0, 0, 16#F0, 16#FF>>]];
                nomatch -> ok
            end;
        false -> ok
    end.

atoms_test() ->
    %% non-ASCII and long atoms go through the external term format (binary_to_term)
    Name = "zr_nx_é_" ++ integer_to_list(erlang:unique_integer([positive])),
    Utf8 = unicode:characters_to_binary(Name),
    Ext = <<131, 119, (byte_size(Utf8)), Utf8/binary>>,
    ?assertMatch({error, {refused, _, -1}}, zerial:decode_nif(Ext, <<"etf">>, 0, 0, 1)),
    ?assertEqual({ok, list_to_atom(Name)}, zerial:decode_nif(Ext, <<"etf">>, 0, 0, 0)),
    ?assertEqual({ok, list_to_atom(Name)}, zerial:decode_nif(Ext, <<"etf">>, 0, 0, 1)),
    %% keys as atoms: an ASCII key, a non-ASCII key, and a key too long for an atom
    case has(<<"json">>) of
        true ->
            Long = binary:copy(<<"k">>, 300),
            J = <<"{\"plain\":1,\"", Utf8/binary, "\":2}">>,
            ?assertEqual({ok, #{plain => 1, list_to_atom(Name) => 2}}, zerial:decode_nif(J, <<"json">>, 16#10000, 0, 0)),
            ?assertMatch({error, {_, _, _}}, zerial:decode_nif(<<"{\"", Long/binary, "\":1}">>, <<"json">>, 16#10000, 0, 0)),
            ?assertMatch({error, {refused, _, _}},
                         zerial:decode_nif(<<"{\"zr_never_atom_", Utf8/binary, "x\":1}">>, <<"json">>, 16#10000, 0, 1));
        false -> ok
    end.

tensors_test() ->
    %% tensors the NIF cannot hand out as raw data (big-endian, Fortran order, odd dtypes) take
    %% the external-term fallback; all must come back as terms or clean errors
    case has(<<"npy">>) of
        true ->
            D = << <<I:64/float-little>> || I <- lists:seq(1, 6) >>,
            Ins = [npy("<f8", "False", "(2, 3)", D), npy(">f8", "False", "(2, 3)", D),
                   npy("<f8", "True", "(2, 3)", D), npy("|b1", "False", "(6,)", binary:copy(<<1>>, 6)),
                   npy("<c16", "False", "(3,)", D), npy("<U2", "False", "(3,)", binary:copy(<<0>>, 24)),
                   npy("<f8", "False", "(0,)", <<>>), npy("<f8", "False", "()", <<1.0:64/float-little>>),
                   npy("<f8", "False", "(2, 3)", binary:part(D, 0, 40)), npy("<f8", "False", "(1000000000, 1000000000)", D),
                   npy("<V8", "False", "(6,)", D), npy("O", "False", "(1,)", <<0:64>>)],
            ?assertEqual([], [{I, R} || {I, In} <- lists:zip(lists:seq(1, length(Ins)), Ins), C <- [0, 1],
                                        R <- [clean(call(decode_nif, [In, <<"auto">>, 0, C, 0]))], R =/= clean]),
            {ok, {'$zerial_tensor', float64, {2, 3}, D}} = zerial:decode_nif(hd(Ins), <<"npy">>, 0, 0, 0),
            %% big-endian data cannot be handed out raw, nor expressed as an Erlang term
            ?assertMatch({error, {type, _, -1}}, zerial:decode_nif(lists:nth(2, Ins), <<"npy">>, 0, 0, 0));
        false -> ok
    end.

%% ---- resource lifetimes: binaries over NIF memory outlive everything else ------------------

lifetimes_test() ->
    %% encode output (resource binary over zerial's buffer) and sub-binaries of it
    Big = binary:copy(<<"abcdefgh">>, 20000),
    Sub = begin
              {ok, B} = zerial:encode_nif({Big, Big}, <<"etf">>, 0, 0, 0),
              {ok, {D1, _}} = zerial:decode_nif(B, <<"etf">>, 0, 0, 0),
              binary:part(D1, 100, 1000)
          end,
    %% inflated (compressed ETF) data: binaries over the decoded doc, alone after the input goes
    Held = begin
               {ok, C} = zerial:encode_nif([Big, binary:copy(<<"x">>, 5000)], <<"etf">>, 16#20, 0, 9),
               {ok, [D2, D3]} = zerial:decode_nif(C, <<"etf">>, 0, 0, 0),
               {binary:part(D2, 10, 100), D3}
           end,
    erlang:garbage_collect(),
    ?assertEqual(binary:part(Big, 100, 1000), Sub),
    ?assertEqual({binary:part(Big, 10, 100), binary:copy(<<"x">>, 5000)}, Held),
    %% many short-lived resources in another process, gone with it
    {Pid, Ref} = spawn_monitor(fun() ->
        [begin
             {ok, E} = zerial:encode_nif(#{i => I, b => Big}, <<"binary">>, 0, 0, 0),
             {ok, _} = zerial:decode_nif(E, <<"auto">>, 0, I rem 2, 0)
         end || I <- lists:seq(1, 50)]
    end),
    receive {'DOWN', Ref, process, Pid, Why} -> ?assertEqual(normal, Why) end.

%% ---- shared memory: every error path of to_shm / from_shm -----------------------------------

shm_errors_test() ->
    R = region(<<"err">>),
    Tn = {'$zerial_tensor', int32, {4}, <<1:32/little, 2:32/little, 3:32/little, 4:32/little>>},
    Bad = [{<<"a">>, 1, <<"auto">>, x},                   % arity 4
           not_a_tuple,
           {binary:copy(<<"n">>, 300), 1},                 % name too long
           {<<"n", 0>>, 1},                                % NUL in the name
           {<<"a">>, 1, 42},                               % format not a name
           {<<"a">>, 1, <<"no-such-format">>},             % unknown per-object format
           {<<"a">>, self()},                              % not encodable
           {<<"a">>, [1, 2], <<"raw">>},                   % raw holds tensors only
           {<<"a">>, [1, 2], <<"npy">>}],                  % npy holds tensors only
    [begin
         ?assertMatch({error, {_, _, -1}}, zerial:to_shm_nif(R, [{<<"ok">>, 1}, Obj], <<"auto">>, 0, 0)),
         %% a failed to_shm leaves no region behind
         ?assertMatch({error, {not_found, _, -1}}, zerial:from_shm_nif(R, 0, 0))
     end || Obj <- Bad],
    ?assertMatch({error, {not_found, _, -1}}, zerial:to_shm_nif(R, [], <<"no-such">>, 0, 0)),
    NoSlash = <<"zr-nif-noslash-", (integer_to_binary(erlang:unique_integer([positive])))/binary>>,
    ?assertEqual(ok, zerial:to_shm_nif(NoSlash, [], <<"auto">>, 0, 0)),
    ?assertEqual(ok, zerial:unlink_shm_nif(NoSlash)),
    ?assertError(badarg, zerial:to_shm_nif(binary:copy(<<"/">>, 300), [], <<"auto">>, 0, 0)),
    ?assertMatch({error, {_, _, -1}}, zerial:to_shm_nif(R, [{<<"a">>, 1}, {<<"a">>, 2}], <<"auto">>, 0, 0)),
    ?assertMatch({error, {not_found, _, -1}}, zerial:unlink_shm_nif(R)),
    %% many objects (more than the default table size), iolist names, every per-object format
    Objs = [{[<<"o">>, integer_to_list(I)], I} || I <- lists:seq(1, 300)]
        ++ [{<<"t">>, Tn, <<"raw">>}, {<<"tn">>, Tn, <<"npy">>}, {<<"te">>, Tn, etf}, {<<"tb">>, Tn, <<"auto">>}],
    ok = zerial:to_shm_nif(R, Objs, <<"binary">>, 0, 16#FFFFFFFF),
    try
        {ok, L} = zerial:from_shm_nif(R, 16#FFFFFFFF, 0),
        ?assertEqual(304, length(L)),
        ?assertEqual({<<"t">>, Tn}, lists:keyfind(<<"t">>, 1, L)),
        ?assertEqual({<<"tn">>, Tn}, lists:keyfind(<<"tn">>, 1, L)),
        ?assertMatch({error, {exists, _, -1}}, zerial:to_shm_nif(R, [], <<"auto">>, 0, 0))
    after
        ok = zerial:unlink_shm_nif(R)
    end.

shm_decode_error_test() ->
    %% from_shm fails on a later object after decoding earlier ones (safe mode, unknown atom):
    %% the terms and resources made so far are dropped cleanly
    R = region(<<"safe">>),
    Atom = list_to_atom("zr_nif_shm_" ++ integer_to_list(erlang:unique_integer([positive]))),
    Big = binary:copy(<<"b">>, 1000),
    ok = zerial:to_shm_nif(R, [{<<"a">>, [Big, Big]}, {<<"b">>, {Atom, Big}}, {<<"c">>, Big}], <<"etf">>, 0, 0),
    try
        {ok, _} = zerial:from_shm_nif(R, 0, 1),
        %% a region with a string key that is no atom: keys-as-atoms in safe mode refuses it
        R3 = region(<<"safe3">>),
        Key = <<"zr_nif_never_", (integer_to_binary(erlang:unique_integer([positive])))/binary>>,
        %% (objects are decoded last to first: "x" is done when "y" fails)
        ok = zerial:to_shm_nif(R3, [{<<"y">>, #{Key => Big}}, {<<"x">>, [Big]}], <<"binary">>, 16#40, 0),
        try
            ?assertMatch({error, {refused, _, -1}}, zerial:from_shm_nif(R3, 16#10000, 1))
        after
            zerial:unlink_shm_nif(R3)
        end
    after
        zerial:unlink_shm_nif(R)
    end.

%% ---- module reload: the NIF's upgrade callback ------------------------------------------------

reload_test() ->
    %% reloading zerial while it is loaded calls the NIF's upgrade (resource types taken over);
    %% binaries made by the old instance stay valid and are freed by the new one
    {ok, Old} = zerial:encode_nif(binary:copy(<<"r">>, 5000), <<"binary">>, 0, 0, 0),
    {module, zerial} = code:load_file(zerial),
    ?assertMatch({ok, _}, zerial:encode_nif(#{a => 1}, <<"etf">>, 0, 0, 0)),
    ?assertMatch({ok, _}, zerial:decode_nif(Old, <<"auto">>, 0, 0, 0)),
    code:purge(zerial),
    ?assertMatch({ok, _}, zerial:decode_nif(Old, <<"auto">>, 0, 0, 0)).
