# Elixir -> Python through shared memory (docs/tutorials/elixir-to-python.md).
#
#   elixir -pa EBIN producer.exs WORKER_COMMAND...
#
# An Elixir service has a batch of scoring requests and their feature matrix. It writes both into
# one shared-memory region (the requests as zerial binary, the matrix as a raw float32 tensor),
# starts the Python worker with the region's name, and reads the worker's answer from a second
# region: one score per request (a float32 tensor) and a summary map. Nothing is pickled, nothing
# goes through JSON, and the worker's numpy arrays are views of the mapping.

[cmd | args] = System.argv()

n = 1000
weights = [0.1, 0.2, 0.3, 0.4]

# 1. the data, as an Elixir service holds it
requests = for i <- 1..n, do: %{"id" => i, "user" => "user#{rem(i, 7)}", "amount" => i * 1.5}
feature = fn i, j -> rem(i * 4 + j, 10) / 10 end
matrix = for i <- 0..(n - 1), j <- 0..3, into: <<>>, do: <<feature.(i, j)::float-little-32>>
features = {:"$zerial_tensor", :float32, {n, 4}, matrix}

# 2. one region, two objects; strings: true makes Elixir strings arrive in Python as str
uid = System.unique_integer([:positive])
request_region = "/zr-example-requests-#{uid}"
answer_region = "/zr-example-answer-#{uid}"
:ok = Zerial.to_shm(request_region, %{"requests" => requests, "features" => features}, strings: true)

try do
  # 3. the worker gets the two region names
  {out, status} = System.cmd(cmd, args ++ [request_region, answer_region], stderr_to_stdout: true)
  IO.write(out)
  if status != 0, do: raise("worker failed with status #{status}")

  # 4. read the answer: the scores tensor and the summary
  {:ok, %{"scores" => scores, "summary" => summary}} = Zerial.from_shm(answer_region)
  {:"$zerial_tensor", :float32, {^n}, data} = scores
  got = for <<x::float-little-32 <- data>>, do: x

  # 5. check the worker's arithmetic against our own
  expected = for i <- 0..(n - 1), do: Enum.sum(for j <- 0..3, do: feature.(i, j) * Enum.at(weights, j))
  worst = Enum.zip(got, expected) |> Enum.map(fn {a, b} -> abs(a - b) end) |> Enum.max()
  if worst > 1.0e-4, do: raise("scores differ by #{worst}")
  if summary["count"] != n, do: raise("the worker saw #{summary["count"]} requests")
  if summary["amount_sum"] != Enum.sum(for r <- requests, do: r["amount"]), do: raise("amount_sum differs")

  IO.puts("elixir: #{n} scores back from #{summary["worker"]}, max error #{Float.round(worst, 8)}, " <>
            "busiest user #{summary["top_user"]}")
after
  Zerial.unlink_shm(request_region)
  Zerial.unlink_shm(answer_region)
end
