%% @doc zerial for Erlang: encode terms into zerial formats (Erlang external term format, zerial
%% binary, NumPy .npy, Arrow IPC stream, whatever the linked libzerial provides) and decode them
%% back into terms. See docs/guides/beam.md for the mapping between terms and zerial values.
%%
%% Results of encode/2 are resource binaries that point straight into the buffer zerial wrote
%% (no copy); decode/2 returns sub-binaries of its input for large binaries and tensors.
%% Errors are `{error, {Code, Message, Offset}}' with Code an atom such as `malformed',
%% `truncated', `unsupported', `type', `limit'; Offset is the input byte offset, or -1.
-module(zerial).
-export([encode/1, encode/2, decode/1, decode/2, inspect/1, formats/0,
         to_shm/2, to_shm/3, from_shm/1, from_shm/2, unlink_shm/1]).
-on_load(init/0).
%% The raw NIF entry points, exported for the NIF's own tests (test/zerial_nif_tests.erl drives
%% them with bad arguments the wrappers above never pass). Not part of the API.
-export([encode_nif/5, decode_nif/5, inspect_nif/1, formats_nif/0, to_shm_nif/5, from_shm_nif/3,
         unlink_shm_nif/1]).

-type format() :: etf | binary | npy | arrow_stream | atom() | binary().
-type encode_opts() :: #{format => format(),
                         deterministic => boolean(),
                         compressed => boolean() | 0..9,
                         undefined_null => boolean(),
                         strings => boolean(),
                         strict => boolean()}.
-type decode_opts() :: #{format => auto | format(),
                         atoms => boolean(),
                         undefined_null => boolean(),
                         charlists => list | string,
                         improper => error | tagged,
                         tags => boolean(),
                         copy => boolean(),
                         safe => boolean(),
                         keys => binary | atom}.
-type error() :: {error, {atom(), binary(), integer()}}.
-export_type([format/0, encode_opts/0, decode_opts/0, error/0]).

-define(ATOMS_AS_SYMBOLS, 16#01).
-define(UNDEFINED_NULL, 16#02).
-define(CHARLIST_STRING, 16#04).
-define(IMPROPER_TAGGED, 16#08).
-define(NO_TAGS, 16#10).
-define(COMPRESS, 16#20).
-define(BINARY_STRINGS, 16#40).
-define(KEYS_ATOMS, 16#10000). % NIF-private: string map keys (and Arrow column names) as atoms
-define(ENC_DETERMINISTIC, 16#1).
-define(ENC_STRICT, 16#2).

init() ->
    Dir = case code:which(?MODULE) of
              Path when is_list(Path) -> filename:dirname(Path);
              _ -> "."
          end,
    Lib = case os:getenv("ZERIAL_NIF") of
              false -> filename:join(Dir, "zerial_nif");
              P -> P
          end,
    erlang:load_nif(Lib, 0).

%% @doc Encode Term as the Erlang external term format (same as encode(Term, #{})).
-spec encode(term()) -> {ok, binary()} | error().
encode(Term) -> encode(Term, #{}).

%% @doc Encode Term in Opts' format (default etf).
-spec encode(term(), encode_opts()) -> {ok, binary()} | error().
encode(Term, Opts) when is_map(Opts) ->
    Fmt = format_name(maps:get(format, Opts, etf)),
    {Compress, Level} = case maps:get(compressed, Opts, false) of
                            true -> {?COMPRESS, 0};
                            false -> {0, 0};
                            L when is_integer(L), L >= 0, L =< 9 -> {?COMPRESS, L}
                        end,
    Flags = Compress bor flag(maps:get(undefined_null, Opts, false), ?UNDEFINED_NULL)
            bor flag(maps:get(strings, Opts, false), ?BINARY_STRINGS)
            bor flag(not maps:get(tags, Opts, true), ?NO_TAGS),
    EFlags = flag(maps:get(deterministic, Opts, false), ?ENC_DETERMINISTIC)
             bor flag(maps:get(strict, Opts, false), ?ENC_STRICT),
    encode_nif(Term, Fmt, Flags, EFlags, Level);
encode(Term, Opts) when is_list(Opts) -> encode(Term, maps:from_list(Opts)).

%% @doc Decode Bin, detecting its format.
-spec decode(binary()) -> {ok, term()} | error().
decode(Bin) -> decode(Bin, #{}).

%% @doc Decode Bin with options (see decode_opts()).
-spec decode(binary(), decode_opts()) -> {ok, term()} | error().
decode(Bin, Opts) when is_binary(Bin), is_map(Opts) ->
    Fmt = case maps:get(format, Opts, auto) of
              auto -> <<"auto">>;
              F -> format_name(F)
          end,
    Flags = flag(not maps:get(atoms, Opts, true), ?ATOMS_AS_SYMBOLS)
            bor flag(maps:get(undefined_null, Opts, false), ?UNDEFINED_NULL)
            bor flag(maps:get(charlists, Opts, list) =:= string, ?CHARLIST_STRING)
            bor flag(maps:get(improper, Opts, error) =:= tagged, ?IMPROPER_TAGGED)
            bor flag(not maps:get(tags, Opts, true), ?NO_TAGS)
            bor flag(maps:get(keys, Opts, binary) =:= atom, ?KEYS_ATOMS),
    Copy = flag(maps:get(copy, Opts, false), 1),
    Safe = flag(maps:get(safe, Opts, false), 1),
    decode_nif(Bin, Fmt, Flags, Copy, Safe);
decode(Bin, Opts) when is_list(Opts) -> decode(Bin, maps:from_list(Opts)).

%% @doc A JSON description of Bin (format detected), without decoding payloads.
-spec inspect(binary()) -> {ok, binary()} | error().
inspect(Bin) when is_binary(Bin) -> inspect_nif(Bin).

%% @doc Names of the formats the linked libzerial provides.
-spec formats() -> [binary()].
formats() -> formats_nif().

%% @doc Create the shared-memory region Region (e.g. <<"/jobs-42">>) holding one object per entry
%% of Objects (a map or list of {Name, Term}, names are binaries), each serialized straight into
%% the mapping, then publish it. Opts: format (auto: tensors as raw tensor objects, everything
%% else zerial binary; raw; or a format name such as npy or arrow_stream), formats (#{Name =>
%% Format}: one object's own format, e.g. rows as arrow_stream beside a tensor as npy),
%% deterministic, undefined_null,
%% strings (UTF-8 binaries are written as strings, so Python sees str, not bytes).
%% The region stays until unlink_shm/1.
-spec to_shm(binary() | string(), #{binary() => term()} | [{binary(), term()}]) -> ok | error().
to_shm(Region, Objects) -> to_shm(Region, Objects, #{}).

-spec to_shm(binary() | string(), #{binary() => term()} | [{binary(), term()}], map()) -> ok | error().
to_shm(Region, Objects, Opts) when is_map(Objects) -> to_shm(Region, maps:to_list(Objects), Opts);
to_shm(Region, Objects, Opts) when is_list(Objects), is_map(Opts) ->
    Fmt = format_name(maps:get(format, Opts, auto)),
    PerObject = maps:get(formats, Opts, #{}),
    Objs = [case maps:find(Name, PerObject) of
                {ok, F} -> {Name, Term, format_name(F)};
                error -> {Name, Term}
            end || {Name, Term} <- Objects],
    Flags = flag(maps:get(undefined_null, Opts, false), ?UNDEFINED_NULL)
            bor flag(maps:get(strings, Opts, false), ?BINARY_STRINGS),
    EFlags = flag(maps:get(deterministic, Opts, false), ?ENC_DETERMINISTIC),
    to_shm_nif(iolist_to_binary(Region), Objs, Fmt, Flags, EFlags).

%% @doc Open the published region Region and decode every object: {ok, #{Name => Term}}.
%% Binaries and tensor data are resource binaries over the mapping (no copy); the mapping lives
%% as long as any of them.
-spec from_shm(binary() | string()) -> {ok, #{binary() => term()}} | error().
from_shm(Region) -> from_shm(Region, #{}).

-spec from_shm(binary() | string(), decode_opts()) -> {ok, #{binary() => term()}} | error().
from_shm(Region, Opts) when is_map(Opts) ->
    Flags = flag(maps:get(undefined_null, Opts, false), ?UNDEFINED_NULL)
            bor flag(maps:get(keys, Opts, binary) =:= atom, ?KEYS_ATOMS),
    case from_shm_nif(iolist_to_binary(Region), Flags, flag(maps:get(safe, Opts, false), 1)) of
        {ok, L} -> {ok, maps:from_list(L)};
        Err -> Err
    end.

%% @doc Remove the region Region from the system (open mappings stay valid).
-spec unlink_shm(binary() | string()) -> ok | error().
unlink_shm(Region) -> unlink_shm_nif(iolist_to_binary(Region)).

flag(true, F) -> F;
flag(_, _) -> 0.

format_name(F) when is_atom(F) ->
    list_to_binary(lists:map(fun($_) -> $-; (C) -> C end, atom_to_list(F)));
format_name(F) when is_binary(F) -> F.

encode_nif(_, _, _, _, _) -> erlang:nif_error(not_loaded).
decode_nif(_, _, _, _, _) -> erlang:nif_error(not_loaded).
inspect_nif(_) -> erlang:nif_error(not_loaded).
formats_nif() -> erlang:nif_error(not_loaded).
to_shm_nif(_, _, _, _, _) -> erlang:nif_error(not_loaded).
from_shm_nif(_, _, _) -> erlang:nif_error(not_loaded).
unlink_shm_nif(_) -> erlang:nif_error(not_loaded).
