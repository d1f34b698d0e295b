#!/bin/bash
# zerial CLI with the etf format, checked against erl: erl term -> convert to JSON and binary ->
# back to etf -> binary_to_term(B, [safe]) in erl gives the original term; inspect shows the tree.
set -euo pipefail
command -v erl >/dev/null || { echo "erl missing: skipped"; exit 0; }
cli=${ZR_CLI:?}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
erl -noshell -eval '
T = #{<<"rows">> => [#{<<"id">> => I, <<"score">> => I / 2, <<"ok">> => true} || I <- lists:seq(1, 3)],
      <<"tag">> => atom, <<"big">> => 1 bsl 70, <<"t">> => {1, nil, <<"b">>}},
ok = file:write_file("'"$tmp"'/in.etf", term_to_binary(T, [compressed])),
ok = file:write_file("'"$tmp"'/want.term", term_to_binary(T))' -s init stop
[ "$("$cli" detect "$tmp/in.etf")" = "etf" ] || { echo "detect: $("$cli" detect "$tmp/in.etf")"; exit 1; }
"$cli" inspect "$tmp/in.etf" > "$tmp/inspect.txt"
grep -Eq '"type": *"map"' "$tmp/inspect.txt" || { cat "$tmp/inspect.txt"; echo "inspect lacks the term tree"; exit 1; }
"$cli" convert "$tmp/in.etf" "$tmp/mid.zrb"
"$cli" convert "$tmp/mid.zrb" "$tmp/out.etf"
"$cli" convert "$tmp/in.etf" "$tmp/mid.json" --extended
"$cli" convert "$tmp/mid.json" "$tmp/out2.etf" --extended
for f in out.etf out2.etf; do
  erl -noshell -eval '
{ok, W} = file:read_file("'"$tmp"'/want.term"), {ok, B} = file:read_file("'"$tmp/$f"'"),
case binary_to_term(B, [safe]) =:= binary_to_term(W) of
  true -> halt(0);
  false -> io:format("~s differs: ~p~n", ["'"$f"'", binary_to_term(B, [safe])]), halt(1)
end' || exit 1
done
# hostile input: a pid is refused with exit code 1 and a message naming the tag
erl -noshell -eval 'ok = file:write_file("'"$tmp"'/pid.etf", term_to_binary(self()))' -s init stop
if "$cli" convert "$tmp/pid.etf" "$tmp/x.json" --from etf 2> "$tmp/err.txt"; then echo "pid accepted"; exit 1; fi
grep -q "NEW_PID_EXT" "$tmp/err.txt" || { cat "$tmp/err.txt"; exit 1; }
echo ok
