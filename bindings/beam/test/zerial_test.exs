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

  test "Elixir list of maps to binary, tensor to npy, and back" do
    rows = for i <- 1..500, do: %{"id" => i, "score" => i * 0.5, "name" => "n#{i}", "ok" => rem(i, 2) == 0}
    data = for i <- 1..12, into: <<>>, do: <<i::float-little-32>>
    tensor = {:"$zerial_tensor", :float32, {3, 4}, data}

    if "binary" in Zerial.formats() do
      assert {:ok, bin} = Zerial.encode(rows, format: :binary)
      assert {:ok, ^rows} = Zerial.decode(bin)
    end

    if "npy" in Zerial.formats() do
      assert {:ok, <<0x93, "NUMPY", _::binary>> = npy} = Zerial.encode(tensor, format: :npy)
      assert {:ok, ^tensor} = Zerial.decode(npy)
    end
  end

  @tag timeout: 120_000
  test "end to end: Elixir -> shm (Arrow rows, npy tensor) -> Python worker -> shm -> Elixir" do
    py_path = System.get_env("ZR_PY_PATH")

    if py_path && File.dir?(Path.join(py_path, "zerial")) do
      rows = for i <- 1..200, do: %{"id" => i, "score" => i * 0.5, "name" => "r#{i}"}
      data = for i <- 0..999, into: <<>>, do: <<i * 1.0::float-little-64>>
      tensor = {:"$zerial_tensor", :float64, {4, 250}, data}
      uid = System.unique_integer([:positive])
      inr = "/zr-beam-e2e-in-#{uid}"
      outr = "/zr-beam-e2e-out-#{uid}"
      assert :ok =
               Zerial.to_shm(inr, %{"rows" => rows, "tensor" => tensor},
                 strings: true, formats: %{"rows" => :arrow_stream, "tensor" => :npy})

      try do
        env = [{"PYTHONPATH", py_path}, {"PYTHONDONTWRITEBYTECODE", "1"}] ++
                case System.get_env("ZR_PY_PRELOAD") do
                  nil -> []
                  "" -> []
                  pre -> [{"LD_PRELOAD", pre}, {"ASAN_OPTIONS", "detect_leaks=0"}]
                end

        worker = Path.join(__DIR__, "py_worker.py")
        {out, code} = System.cmd("/usr/bin/python3", [worker, inr, outr], env: env, stderr_to_stdout: true)
        assert code == 0, out
        assert {:ok, %{"result" => result, "doubled" => doubled, "per_row" => per_row}} = Zerial.from_shm(outr)
        assert result["count"] == 200
        assert result["zero_copy"] == true
        # the Arrow table Python wrote comes back as rows
        assert length(per_row) == 10
        assert hd(per_row) == %{"id" => 1, "score2" => 1.0, "label" => "R1"}
        assert {:ok, %{"per_row" => [%{id: 1, score2: 1.0, label: "R1"} | _]}} = Zerial.from_shm(outr, keys: :atom)
        assert result["id_sum"] == 20_100
        assert result["tensor_sum"] == 499_500.0
        assert result["worker"] == "python"
        assert {:"$zerial_tensor", :float64, {4, 250}, d2} = doubled
        assert d2 == (for i <- 0..999, into: <<>>, do: <<i * 2.0::float-little-64>>)
      after
        Zerial.unlink_shm(inr)
        Zerial.unlink_shm(outr)
      end
    end
  end

  test "rows to Arrow and back, and Arrow from Python to rows" do
    if "arrow-stream" in Zerial.formats() do
      rows = for i <- 1..100, do: %{id: i, name: "n#{i}", score: i / 4, ok: rem(i, 3) == 0}
      assert {:ok, <<0xFFFFFFFF::32, _::binary>> = arrow} = Zerial.encode(rows, format: :arrow_stream, strings: true)
      assert {:ok, ^rows} = Zerial.decode(arrow, keys: :atom)
      assert {:ok, [%{"id" => 1, "name" => "n1"} | _]} = Zerial.decode(arrow)
      assert {:ok, py} = File.read(Path.join(__DIR__, "py_rows.arrows"))
      assert {:ok, [%{id: 0, name: "r0", score: 0.0, flag: true, opt: 0}, %{opt: nil} | _]} = Zerial.decode(py, keys: :atom)
      assert {:error, {:type, _, _}} = Zerial.encode([1, %{a: 1}], format: :arrow_stream)
    end
  end

  test "shared memory round trip" do
    r = "/zr-beam-ex-#{System.unique_integer([:positive])}"
    terms = %{"a" => [1, 2.5, "x"], "m" => %{k: {1, nil}}}
    assert :ok = Zerial.to_shm(r, terms, deterministic: true)
    assert {:ok, ^terms} = Zerial.from_shm(r)
    assert {:error, {:exists, _, -1}} = Zerial.to_shm(r, terms)
    assert :ok = Zerial.unlink_shm(r)
    assert {:error, {:not_found, _, -1}} = Zerial.from_shm(r)
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
