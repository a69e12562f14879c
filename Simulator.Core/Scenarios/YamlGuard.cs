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

    /// <summary>Checks the limits, then loads the documents of <paramref name="yaml"/>; every error is a
    /// <see cref="ScenarioException"/> in <paramref name="file"/> at a line and column.</summary>
    public static IReadOnlyList<YamlDocument> Load(string yaml, string file)
    {
        Check(yaml, file);
        var parser = new Tracking(new Parser(new StringReader(yaml)));
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

    /// <summary>A parser that remembers where its current event starts.</summary>
    private sealed class Tracking(IParser inner) : IParser
    {
        public Mark At { get; private set; } = Mark.Empty;

        public ParsingEvent? Current => inner.Current;

        public bool MoveNext()
        {
            bool more = inner.MoveNext();
            if (inner.Current is { } ev)
                At = ev.Start;
            return more;
        }
    }

    private static void Check(string yaml, string file)
    {
        if (yaml.Length > MaxCharacters)
            throw new ScenarioException(file, 1, 1, $"the file has {yaml.Length:N0} characters; a scenario has at most {MaxCharacters:N0}");
        var open = new List<(string? Anchor, long Nodes)>(); // the collections not yet closed, with their sizes so far
        var sizes = new Dictionary<string, long>(StringComparer.Ordinal); // anchored nodes' expanded sizes
        long total = 0;
        Mark at = Mark.Empty;
        void Add(long nodes, bool toTotal = true)
        {
            if (toTotal)
            {
                total += nodes;
                if (total > MaxNodes)
                    throw new ScenarioException(file, at.Line, at.Column,
                        $"the document has more than {MaxNodes:N0} nodes with its aliases expanded; "
                            + "a scenario needs far fewer (aliases inside aliases multiply)");
            }
            if (open.Count > 0)
                open[^1] = (open[^1].Anchor, open[^1].Nodes + nodes);
        }
        try
        {
            var parser = new Parser(new StringReader(yaml));
            while (parser.MoveNext())
            {
                var ev = parser.Current!;
                at = ev.Start;
                switch (ev)
                {
                    case Scalar s:
                        if (!s.Anchor.IsEmpty)
                            sizes[s.Anchor.Value] = 1;
                        Add(1);
                        break;
                    case SequenceStart or MappingStart:
                        if (open.Count >= MaxDepth)
                            throw new ScenarioException(file, at.Line, at.Column,
                                $"nesting deeper than {MaxDepth} levels; a scenario needs a handful");
                        var anchor = ((NodeEvent)ev).Anchor;
                        total++;
                        open.Add((anchor.IsEmpty ? null : anchor.Value, 1));
                        break;
                    case SequenceEnd or MappingEnd:
                        var (name, nodes) = open[^1];
                        open.RemoveAt(open.Count - 1);
                        if (name is not null)
                            sizes[name] = nodes;
                        Add(nodes, toTotal: false); // already counted node by node
                        break;
                    case AnchorAlias alias:
                        if (open.Any(o => o.Anchor == alias.Value.Value))
                            throw new ScenarioException(file, at.Line, at.Column,
                                $"the alias *{alias.Value.Value} is inside the node it names: it would repeat forever");
                        Add(sizes.GetValueOrDefault(alias.Value.Value, 1));
                        break;
                }
            }
        }
        catch (YamlException e)
        {
            throw new ScenarioException(file, e.Start.Line, e.Start.Column,
                $"YAML syntax: {(e.InnerException as YamlException ?? e).Message}");
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException or InvalidCastException)
        {
            throw new ScenarioException(file, at.Line, at.Column, Unreadable);
        }
    }
}
