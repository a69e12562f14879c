using System.Globalization;
using System.Text.Json.Nodes;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;
using Zombiesim.Core.Random;

namespace Zombiesim.Core.Scenarios;

/// <summary>
/// Reads one YAML mapping of a scenario, strictly: every key must be asked for, values must have
/// the asked type, and errors carry the node's line and column. In schema mode it reads nothing
/// and records what it is asked for, so the JSON Schema and the reader cannot disagree.
/// </summary>
public sealed partial class Reader
{
    private readonly YamlMappingNode? _map;
    private readonly YamlNode? _node;
    private readonly Origins _origins;
    private readonly string _path;
    private readonly HashSet<string> _asked = new();
    private readonly JsonObject? _schema;

    internal Reader(YamlNode? node, Origins origins, string path, JsonObject? schema)
    {
        _node = node;
        _origins = origins;
        _path = path;
        _schema = schema;
        if (node is YamlMappingNode m)
            _map = m;
        else if (node is not null && !IsNull(node) && schema is null)
            throw origins.Error(node, $"{Describe(path)} must be a mapping of keys to values, got {Kind(node)}");
        if (schema is not null)
        {
            schema["type"] = "object";
            schema["additionalProperties"] = false;
            schema["properties"] = new JsonObject();
        }
    }

    /// <summary>True when the reader only records a schema.</summary>
    public bool SchemaOnly => _schema is not null;

    public BadInputException Error(string message) => _origins.Error(_node, message);

    public BadInputException ErrorAt(string key, string message) => _origins.Error(Value(key) ?? _node, message);

    // ---------------------------------------------------------------- scalars

    public TimeSpan Duration(string key, TimeSpan def, string doc) => OptionalDuration(key, doc, def) ?? def;

    public TimeSpan? OptionalDuration(string key, string doc, TimeSpan? shownDefault = null)
    {
        if (Record(key, doc, new JsonObject { ["$ref"] = "#/definitions/duration" }, shownDefault is { } d ? DurationText.Format(d) : null))
            return null;
        var node = Value(key);
        return node is null || IsNull(node) ? null : ParseDuration(node, $"{Describe(_path, key)}");
    }

    public int Int(string key, int def, string doc, int min = int.MinValue, int max = int.MaxValue) =>
        OptionalInt(key, doc, min, max, def) ?? def;

    public int? OptionalInt(string key, string doc, int min = int.MinValue, int max = int.MaxValue, int? shownDefault = null)
    {
        var type = new JsonObject { ["type"] = "integer" };
        if (min != int.MinValue) type["minimum"] = min;
        if (max != int.MaxValue) type["maximum"] = max;
        if (Record(key, doc, type, shownDefault))
            return null;
        var node = Value(key);
        if (node is null || IsNull(node))
            return null;
        string text = Scalar(node, key, "an integer");
        if (!long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long v))
            throw _origins.Error(node, $"{Describe(_path, key)} must be an integer, got '{text}'");
        if (v < min || v > max)
            throw _origins.Error(node, $"{Describe(_path, key)} must be {Range(min, max)}, got {v}");
        return (int)v;
    }

    /// <summary>An integer from a fixed set (the schema lists them).</summary>
    public int IntOneOf(string key, int def, string doc, IReadOnlyList<int> allowed)
    {
        var type = new JsonObject { ["type"] = "integer", ["enum"] = new JsonArray(allowed.Select(a => (JsonNode)a).ToArray()) };
        if (Record(key, doc, type, def))
            return def;
        var node = Value(key);
        if (node is null || IsNull(node))
            return def;
        string text = Scalar(node, key, "an integer");
        if (!int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int v) || !allowed.Contains(v))
            throw _origins.Error(node, $"{Describe(_path, key)} must be one of {string.Join(", ", allowed)}, got {text}");
        return v;
    }

    public ulong ULong(string key, ulong def, string doc)
    {
        if (Record(key, doc, new JsonObject { ["type"] = "integer", ["minimum"] = 0 }, def))
            return def;
        var node = Value(key);
        if (node is null || IsNull(node))
            return def;
        string text = Scalar(node, key, "a non-negative integer");
        if (!ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out ulong v))
            throw _origins.Error(node, $"{Describe(_path, key)} must be a non-negative integer, got '{text}'");
        return v;
    }

    public double Double(string key, double def, string doc, double min = double.NegativeInfinity, double max = double.PositiveInfinity)
    {
        if (Record(key, doc, new JsonObject { ["type"] = "number" }, def))
            return def;
        var node = Value(key);
        if (node is null || IsNull(node))
            return def;
        string text = Scalar(node, key, "a number");
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) || !double.IsFinite(v))
            throw _origins.Error(node, $"{Describe(_path, key)} must be a number, got '{text}'");
        if (v < min || v > max)
            throw _origins.Error(node, $"{Describe(_path, key)} must be between {min} and {max}, got {v}");
        return v;
    }

    public bool Bool(string key, bool def, string doc)
    {
        if (Record(key, doc, new JsonObject { ["type"] = "boolean" }, def))
            return def;
        var node = Value(key);
        if (node is null || IsNull(node))
            return def;
        string text = Scalar(node, key, "true or false");
        return text switch
        {
            "true" => true,
            "false" => false,
            _ => throw _origins.Error(node, $"{Describe(_path, key)} must be true or false, got '{text}'"),
        };
    }

    /// <summary>The text under <paramref name="key"/>; with <paramref name="words"/>, the schema lists the
    /// words it may be (the caller checks them, to say what each means).</summary>
    public string? OptionalString(string key, string doc, IEnumerable<string>? words = null)
    {
        var type = new JsonObject { ["type"] = "string" };
        if (words is not null)
            type["enum"] = new JsonArray(words.Select(w => (JsonNode)w).ToArray());
        if (Record(key, doc, type, null))
            return null;
        var node = Value(key);
        return node is null || IsNull(node) ? null : Scalar(node, key, "a string");
    }

    /// <summary>A name that must be one of <paramref name="known"/> (a function defined above, say):
    /// a wrong one is reported at its own line and column, with the nearest known name.</summary>
    public string? Name(string key, string doc, IReadOnlyCollection<string> known, bool required)
    {
        string? name = required ? RequiredString(key, doc) : OptionalString(key, doc);
        if (SchemaOnly || name is null || known.Contains(name))
            return name;
        throw _origins.Error(Value(key),
            $"{Describe(_path, key)} names '{name}', "
                + $"which is not defined{Suggestions.Suggest(name, known)}; defined: {string.Join(", ", known)}");
    }

    public string RequiredString(string key, string doc)
    {
        if (Record(key, doc, new JsonObject { ["type"] = "string" }, null, required: true))
            return "";
        return OptionalString(key, doc) ?? throw Error($"{Describe(_path)} needs '{key}' ({doc})");
    }

    /// <summary>One of a fixed set of words.</summary>
    public T Choice<T>(string key, T def, string doc, IReadOnlyDictionary<string, T> values) =>
        TryChoice(key, doc, values, values.First(kv => EqualityComparer<T>.Default.Equals(kv.Value, def)).Key, out T v) ? v : def;

    public T? OptionalChoice<T>(string key, string doc, IReadOnlyDictionary<string, T> values) where T : struct =>
        TryChoice(key, doc, values, null, out T v) ? v : null;

    private bool TryChoice<T>(string key, string doc, IReadOnlyDictionary<string, T> values, string? shownDefault, out T value)
    {
        value = default!;
        var type = new JsonObject { ["type"] = "string", ["enum"] = new JsonArray(values.Keys.Select(k => (JsonNode)k).ToArray()) };
        if (Record(key, doc, type, shownDefault))
            return false;
        var node = Value(key);
        if (node is null || IsNull(node))
            return false;
        string text = Scalar(node, key, "one of " + string.Join(", ", values.Keys));
        if (values.TryGetValue(text, out var v))
        {
            value = v;
            return true;
        }
        throw _origins.Error(node,
            $"{Describe(_path, key)} must be one of {string.Join(", ", values.Keys)}, "
                + $"got '{text}'{Suggestions.Suggest(text, values.Keys)}");
    }

    /// <summary>A list of scalars, as text.</summary>
    public IReadOnlyList<string> Strings(string key, string doc) =>
        SequenceOf(key, doc, new JsonObject { ["type"] = "string" }, "[250s, 300s]") is { } seq
            ? seq.Children.Select(c => Scalar(c, key, "a value")).ToArray()
            : [];

    /// <summary>The list under <paramref name="key"/>, or null when absent (or in schema mode).</summary>
    private YamlSequenceNode? SequenceOf(string key, string doc, JsonObject items, string example)
    {
        if (Record(key, doc, new JsonObject { ["type"] = "array", ["items"] = items }, null))
            return null;
        var node = Value(key);
        if (node is null || IsNull(node))
            return null;
        return node as YamlSequenceNode
            ?? throw _origins.Error(node, $"{Describe(_path, key)} must be a list like {example}, got {Kind(node)}");
    }

    /// <summary>A list of words from a fixed set.</summary>
    public IReadOnlyList<string> Words(string key, string doc, string[] def, string[] allowed)
    {
        var items = new JsonObject { ["type"] = "string", ["enum"] = new JsonArray(allowed.Select(a => (JsonNode)a).ToArray()) };
        if (SequenceOf(key, doc, items, $"[{string.Join(", ", def)}]") is not { } seq)
            return def;
        var words = new List<string>();
        foreach (var item in seq.Children)
        {
            string w = Scalar(item, key, "a word");
            if (!allowed.Contains(w))
                throw _origins.Error(item,
                    $"'{w}' in {Describe(_path, key)} must be one of {string.Join(", ", allowed)}{Suggestions.Suggest(w, allowed)}");
            words.Add(w);
        }
        return words;
    }

    // ---------------------------------------------------------------- distributions

    /// <summary>A duration that may vary: a plain duration, or a distribution of durations.</summary>
    public Distribution Distribution(string key, Distribution def, string doc) => OptionalDistribution(key, doc, def) ?? def;

    public Distribution? OptionalDistribution(string key, string doc, Distribution? shownDefault = null)
    {
        if (Record(key, doc, new JsonObject { ["$ref"] = "#/definitions/varying-duration" },
                shownDefault is Constant c ? DurationText.Format(TimeSpan.FromSeconds(c.Value)) : null))
            return null;
        var node = Value(key);
        return node is null || IsNull(node) ? null : ParseDistribution(node, Describe(_path, key));
    }

    /// <summary>A list whose items are durations or distributions of durations.</summary>
    public IReadOnlyList<Distribution> DistributionList(string key, string doc) =>
        SequenceOf(key, doc, new JsonObject { ["$ref"] = "#/definitions/varying-duration" }, "[0s, 95s, 400s]") is { } seq
            ? seq.Children.Select((n, i) => ParseDistribution(n, $"{Describe(_path, key)}[{i}]")).ToArray()
            : [];

    // ---------------------------------------------------------------- structure

    /// <summary>A nested mapping; absent means all its defaults.</summary>
    public T Section<T>(string key, string doc, Func<Reader, T> read)
    {
        var child = new JsonObject();
        if (Record(key, doc, child, null))
        {
            var r = new Reader(null, _origins, Join(_path, key), child);
            return read(r);
        }
        var node = Value(key);
        var reader = new Reader(node, _origins, Join(_path, key), null);
        T value = read(reader);
        reader.Done();
        return value;
    }

    /// <summary>A nested mapping whose absence means <paramref name="absent"/> (a preset's value, or none), not a section of
    /// defaults; present, it is read over <paramref name="read"/>'s defaults.</summary>
    public T? OptionalSection<T>(string key, string doc, T? absent, Func<Reader, T> read) where T : class
    {
        bool has = Has(key);
        var value = Section(key, doc, read);
        return has ? value : absent;
    }

    /// <summary>A list of mappings.</summary>
    public IReadOnlyList<T> List<T>(string key, string doc, Func<Reader, T> readItem)
    {
        var item = new JsonObject();
        if (Record(key, doc, new JsonObject { ["type"] = "array", ["items"] = item }, null))
        {
            readItem(new Reader(null, _origins, Join(_path, key) + "[]", item));
            return [];
        }
        var node = Value(key);
        if (node is null || IsNull(node))
            return [];
        if (node is not YamlSequenceNode seq)
            throw _origins.Error(node, $"{Describe(_path, key)} must be a list (items start with '- '), got {Kind(node)}");
        var result = new List<T>(seq.Children.Count);
        for (int i = 0; i < seq.Children.Count; i++)
        {
            var r = new Reader(seq.Children[i], _origins, $"{Join(_path, key)}[{i}]", null);
            if (seq.Children[i] is not YamlMappingNode)
                throw _origins.Error(seq.Children[i], $"{Describe(_path, key)}[{i}] must be a mapping, got {Kind(seq.Children[i])}");
            result.Add(readItem(r));
            r.Done();
        }
        return result;
    }

    /// <summary>In the schema, the item has exactly one of <paramref name="keys"/> (the caller checks it when reading).</summary>
    public void ExactlyOneOf(params string[] keys)
    {
        if (_schema is not null)
            _schema["oneOf"] = new JsonArray(keys.Select(k => (JsonNode)new JsonObject { ["required"] = new JsonArray(k) }).ToArray());
    }

    /// <summary>True when the mapping has <paramref name="key"/> (in schema mode: records it and says false).</summary>
    public bool Has(string key) => _map is not null && _map.Children.ContainsKey(new YamlScalarNode(key));

    /// <summary>Every key must have been asked for: an unknown key is an error, with the nearest known key.</summary>
    public void Done()
    {
        if (_map is null || _schema is not null)
            return;
        foreach (var (k, _) in _map.Children)
        {
            string name = k is YamlScalarNode s ? s.Value ?? "" : "?";
            if (!_asked.Contains(name))
                throw _origins.Error(k,
                    $"unknown key '{name}' in {Describe(_path)}{Suggestions.Suggest(name, _asked)}; "
                        + $"known keys: {string.Join(", ", _asked.Order())}");
        }
    }

    private Reader Child(YamlNode node, string path) => new(node, _origins, path, null);

    private YamlNode? Value(string key)
    {
        _asked.Add(key);
        if (_map is null)
            return null;
        return _map.Children.TryGetValue(new YamlScalarNode(key), out var v) ? v : null;
    }

    private bool Record(string key, string doc, JsonObject type, object? def, bool required = false)
    {
        _asked.Add(key);
        if (_schema is null)
            return false;
        type["description"] = doc;
        type["default"] = def switch
        {
            null => null,
            string v => JsonValue.Create(v),
            int v => JsonValue.Create(v),
            ulong v => JsonValue.Create(v),
            double v => JsonValue.Create(v),
            bool v => JsonValue.Create(v),
            _ => throw new ArgumentException($"no JSON form for a default of type {def.GetType()}"),
        };
        if (def is null)
            type.Remove("default");
        ((JsonObject)_schema["properties"]!)[key] = type;
        if (required)
        {
            var req = _schema["required"] as JsonArray ?? new JsonArray();
            req.Add(key);
            _schema["required"] = req;
        }
        return true;
    }

    private TimeSpan ParseDuration(YamlNode node, string what)
    {
        string text = Scalar(node, what, "a duration");
        if (!DurationText.TryParse(text, out var value, out var error))
            throw _origins.Error(node, $"{what}: {error}");
        return value;
    }

    private string Scalar(YamlNode node, string what, string expected)
    {
        if (node is YamlScalarNode s)
            return s.Value ?? "";
        throw _origins.Error(node, $"{Describe(_path, what)} must be {expected}, got {Kind(node)}");
    }

    private static bool IsNull(YamlNode n) =>
        n is YamlScalarNode s && s.Style == ScalarStyle.Plain && (s.Value is "" or "~" or "null");

    private static string Kind(YamlNode n) => n switch
    {
        YamlMappingNode => "a mapping",
        YamlSequenceNode => "a list",
        YamlScalarNode s => $"'{s.Value}'",
        _ => "something else",
    };

    private static string Join(string path, string key) => path.Length == 0 ? key : $"{path}.{key}";

    private static string Describe(string path) => path.Length == 0 ? "the scenario" : $"'{path}'";

    private static string Describe(string path, string key) => key.Contains('\'') ? key : $"'{Join(path, key)}'";

    private static string Range(int min, int max) =>
        max == int.MaxValue ? $"at least {min}" : min == int.MinValue ? $"at most {max}" : $"between {min} and {max}";

}
