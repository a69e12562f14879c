using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.RepresentationModel;

namespace Zombiesim.Core.Scenarios;

/// <summary>
/// The limits a YAML document must keep before the model reads it: its size, its nesting depth and
/// its node count with every alias expanded (an alias bomb of a few kilobytes would otherwise
/// expand to gigabytes), and no alias inside the node it names (a cycle). It is the one way a
/// document is loaded: errors the YAML library raises outside its own exception type are reported
/// at the last position it reached.
/// </summary>
internal static class YamlGuard
{
    public const int MaxCharacters = 1 << 20, MaxDepth = 64, MaxNodes = 100_000;

    private const string Unreadable = "YAML syntax: the document cannot be read from here on; "
        + "look for a key with no name (': value'), a '{' or '[' left open, or a line indented out of its block";

    /// <summary>Loads the documents of <paramref name="yaml"/>, checking the limits event by event as the YAML
    /// library reads them (one pass); every error is a <see cref="ScenarioException"/> in <paramref name="file"/>
    /// at a line and column.</summary>
    public static IReadOnlyList<YamlDocument> Load(string yaml, string file)
    {
        if (yaml.Length > MaxCharacters)
            throw new ScenarioException(file, 1, 1, $"the file has {yaml.Length:N0} characters; a scenario has at most {MaxCharacters:N0}");
        var parser = new Guarded(new Parser(new StringReader(yaml)), file);
        try
        {
            var stream = new YamlStream();
            stream.Load(parser);
            return stream.Documents.ToList();
        }
        catch (YamlException e)
        {
            throw new ScenarioException(file, e.Start.Line, e.Start.Column,
                $"YAML syntax: {(e.InnerException as YamlException ?? e).Message}");
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException or InvalidCastException)
        {
            throw new ScenarioException(file, parser.At.Line, parser.At.Column, Unreadable);
        }
    }

    /// <summary>A parser that remembers where its current event starts and refuses, at that event, a
    /// document past the limits, before the YAML library builds a node from it.</summary>
    private sealed class Guarded(IParser inner, string file) : IParser
    {
        private readonly List<(string? Anchor, long Nodes)> _open = new(); // collections not yet closed, with their sizes so far
        private readonly Dictionary<string, long> _sizes = new(StringComparer.Ordinal); // anchored nodes' expanded sizes
        private long _total;

        public Mark At { get; private set; } = Mark.Empty;

        public ParsingEvent? Current => inner.Current;

        public bool MoveNext()
        {
            bool more = inner.MoveNext();
            if (inner.Current is { } ev)
            {
                At = ev.Start;
                Count(ev);
            }
            return more;
        }

        private void Count(ParsingEvent ev)
        {
            switch (ev)
            {
                case Scalar s:
                    if (!s.Anchor.IsEmpty)
                        _sizes[s.Anchor.Value] = 1;
                    Add(1);
                    break;
                case SequenceStart or MappingStart:
                    if (_open.Count >= MaxDepth)
                        throw Refuse($"nesting deeper than {MaxDepth} levels; a scenario needs a handful");
                    var anchor = ((NodeEvent)ev).Anchor;
                    _total++;
                    _open.Add((anchor.IsEmpty ? null : anchor.Value, 1));
                    break;
                case SequenceEnd or MappingEnd:
                    var (name, nodes) = _open[^1];
                    _open.RemoveAt(_open.Count - 1);
                    if (name is not null)
                        _sizes[name] = nodes;
                    Add(nodes, toTotal: false); // already counted node by node
                    break;
                case AnchorAlias alias:
                    if (_open.Any(o => o.Anchor == alias.Value.Value))
                        throw Refuse($"the alias *{alias.Value.Value} is inside the node it names: it would repeat forever");
                    Add(_sizes.GetValueOrDefault(alias.Value.Value, 1));
                    break;
            }
        }

        private void Add(long nodes, bool toTotal = true)
        {
            if (toTotal)
            {
                _total += nodes;
                if (_total > MaxNodes)
                    throw Refuse($"the document has more than {MaxNodes:N0} nodes with its aliases expanded; "
                        + "a scenario needs far fewer (aliases inside aliases multiply)");
            }
            if (_open.Count > 0)
                _open[^1] = (_open[^1].Anchor, _open[^1].Nodes + nodes);
        }

        private ScenarioException Refuse(string message) => new(file, At.Line, At.Column, message);
    }
}
