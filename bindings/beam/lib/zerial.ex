defmodule Zerial do
  @moduledoc """
  zerial for Elixir: encode terms into zerial formats (Erlang external term format, zerial
  binary, NumPy `.npy`, Arrow IPC stream, whatever the linked libzerial provides) and decode
  them back. A thin layer over the Erlang module `:zerial` and its NIF.

  `nil` is zerial's null; `true`/`false` are booleans; other atoms are symbols; Elixir strings
  (binaries) are binaries. Tensors come back as `{:"$zerial_tensor", dtype, shape, data}`.
  A list of maps with the same keys encodes to an Arrow table with `format: :arrow_stream` (use
  `strings: true` for `utf8` columns); an Arrow stream or file decodes to its rows, one map per
  row, keyed by column name (binaries, or atoms with `keys: :atom`).
  Encoded outputs are resource binaries pointing at zerial's buffer (no copy).
  Errors: `{:error, {code, message, offset}}`.
  """

  @type format :: :etf | :binary | :npy | :arrow_stream | atom() | String.t()
  @type encode_opt ::
          {:format, format()}
          | {:deterministic, boolean()}
          | {:compressed, boolean() | 0..9}
          | {:undefined_null, boolean()}
          | {:strings, boolean()}
          | {:strict, boolean()}
  @type decode_opt ::
          {:format, :auto | format()}
          | {:atoms, boolean()}
          | {:undefined_null, boolean()}
          | {:charlists, :list | :string}
          | {:improper, :error | :tagged}
          | {:tags, boolean()}
          | {:copy, boolean()}
          | {:safe, boolean()}
          | {:keys, :binary | :atom}
  @type error :: {:error, {atom(), binary(), integer()}}

  @doc "Encode `term` (default format `:etf`)."
  @spec encode(term(), [encode_opt()] | map()) :: {:ok, binary()} | error()
  def encode(term, opts \\ []), do: :zerial.encode(term, to_map(opts))

  @doc "Decode `bin` (format detected unless `format:` is given)."
  @spec decode(binary(), [decode_opt()] | map()) :: {:ok, term()} | error()
  def decode(bin, opts \\ []) when is_binary(bin), do: :zerial.decode(bin, to_map(opts))

  @doc "A JSON description of `bin` without decoding its payloads."
  @spec inspect(binary()) :: {:ok, binary()} | error()
  def inspect(bin) when is_binary(bin), do: :zerial.inspect(bin)

  @doc "Names of the formats the linked libzerial provides."
  @spec formats() :: [binary()]
  def formats, do: :zerial.formats()

  @doc """
  Create the shared-memory region `region` with one object per entry of `objects` (a map of
  binary names to terms), serialized straight into the mapping, and publish it. Options:
  `format:` (`:auto` — tensors raw, the rest zerial binary —, `:raw`, `:npy`, `:binary`,
  `:arrow_stream`, …), `formats:` (`%{name => format}`: an object's own format),
  `deterministic:`, `strings:` (UTF-8 binaries written as strings, so Python sees `str`).
  The region stays until `unlink_shm/1`.
  """
  @spec to_shm(String.t(), %{String.t() => term()} | [{String.t(), term()}], keyword() | map()) :: :ok | error()
  def to_shm(region, objects, opts \\ []), do: :zerial.to_shm(region, objects, to_map(opts))

  @doc "Decode every object of the published region `region` (zero-copy binaries over the mapping)."
  @spec from_shm(String.t(), keyword() | map()) :: {:ok, %{String.t() => term()}} | error()
  def from_shm(region, opts \\ []), do: :zerial.from_shm(region, to_map(opts))

  @doc "Remove the region `region` (open mappings stay valid)."
  @spec unlink_shm(String.t()) :: :ok | error()
  def unlink_shm(region), do: :zerial.unlink_shm(region)

  defp to_map(opts) when is_map(opts), do: opts
  defp to_map(opts) when is_list(opts), do: Map.new(opts)
end
