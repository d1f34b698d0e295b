# ExUnit suite for the Elixir Zerial module (run by ctest: beam_exunit).
ExUnit.start()

defmodule ZerialTest do
  use ExUnit.Case, async: true

  test "round trip of Elixir data" do
    for t <- [nil, true, 1, -5, 1.5, "string", :atom, {1, 2}, [1, "a", :b], %{"id" => 1, "tags" => ["x"]},
              %{a: %{b: [1.0, 2.0]}}, 12_345_678_901_234_567_890_123] do
      assert {:ok, bin} = Zerial.encode(t)
      assert :erlang.binary_to_term(bin, [:safe]) == t
      assert {:ok, ^t} = Zerial.decode(bin)
    end
  end

  test "list of maps and a tensor-like binary" do
    rows = for i <- 1..1000, do: %{"id" => i, "score" => i / 3, "name" => "row#{i}"}
    tensor = {:"$zerial_tensor", :float64, {2, 2}, <<1.0::float-little-64, 2.0::float-little-64, 3.0::float-little-64, 4.0::float-little-64>>}
    assert {:ok, bin} = Zerial.encode(%{"rows" => rows, "t" => tensor}, deterministic: true)
    assert {:ok, %{"rows" => ^rows, "t" => ^tensor}} = Zerial.decode(bin)
  end

  test "errors carry code, message and offset" do
    assert {:error, {:unsupported, msg, 1}} = Zerial.decode(:erlang.term_to_binary(self()), format: :etf)
    assert msg =~ "PID"
    assert {:error, {:version, _, 0}} = Zerial.decode(<<130, 97, 1>>, format: :etf)
    assert {:error, {:unsupported, _, -1}} = Zerial.encode(make_ref())
  end

  test "charlists and options" do
    assert {:ok, ~c"abc"} = Zerial.decode(:erlang.term_to_binary(~c"abc"))
    assert {:ok, "abc"} = Zerial.decode(:erlang.term_to_binary(~c"abc"), charlists: :string)
    assert {:ok, :true} = Zerial.decode(:erlang.term_to_binary(true))
    assert {:ok, "nil"} != Zerial.decode(:erlang.term_to_binary(nil), atoms: false)
  end

  test "inspect and formats" do
    assert {:ok, json} = Zerial.inspect(:erlang.term_to_binary(%{a: 1}))
    assert json =~ "\"format\":\"etf\""
    assert "etf" in Zerial.formats()
  end
end
