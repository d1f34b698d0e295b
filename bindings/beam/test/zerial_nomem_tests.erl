%% EUnit suite for the NIF's allocation-failure paths, run by ctest beam_nomem in the ZR_SANITIZE
%% build only: there the VM runs with ASan's allocator_may_return_null=1 and
%% max_allocation_size_mb=16, so any single malloc over 16 MiB returns NULL instead of succeeding.
%% The VM's own allocations stay small here; the ones that fail are zerial's (an inflate buffer, a
%% claimed decompressed size), and the NIF must turn them into {error, {nomem | limit | ..., _, _}}.
-module(zerial_nomem_tests).
-include_lib("eunit/include/eunit.hrl").

-define(BIG, (24 * 1024 * 1024)).

%% a compressed ETF term (131, 80, Size:32, zlib data) holding a 24 MiB binary of zeros, made
%% without ever holding 24 MiB in the VM
zip_bomb() ->
    Z = zlib:open(),
    ok = zlib:deflateInit(Z, 1),
    Chunk = binary:copy(<<0>>, 1024 * 1024),
    Head = zlib:deflate(Z, <<109, ?BIG:32>>),
    Body = [zlib:deflate(Z, Chunk) || _ <- lists:seq(1, ?BIG div byte_size(Chunk))],
    Tail = zlib:deflate(Z, <<>>, finish),
    ok = zlib:deflateEnd(Z),
    zlib:close(Z),
    iolist_to_binary([<<131, 80, (?BIG + 5):32>>, Head, Body, Tail]).

inflate_fails_test_() -> {timeout, 120, fun inflate_fails/0}.

inflate_fails() ->
    Bomb = zip_bomb(),
    ?assert(byte_size(Bomb) < 1024 * 1024),
    %% normal and dirty scheduler, copy and zero-copy, and through inspect
    ?assertMatch({error, {nomem, _, _}}, zerial:decode_nif(Bomb, <<"etf">>, 0, 0, 0)),
    ?assertMatch({error, {nomem, _, _}}, zerial:decode_nif(Bomb, <<"auto">>, 0, 1, 0)),
    Padded = <<Bomb/binary>>,
    ?assertMatch({error, {_, _, _}}, zerial:inspect_nif(Padded)),
    %% and the NIF still works afterwards
    ?assertEqual({ok, [1, 2]}, zerial:decode_nif(term_to_binary([1, 2], [compressed]), <<"etf">>, 0, 0, 0)).
