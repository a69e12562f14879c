using System.Security.Cryptography;
using System.Text;
using YamlDotNet.RepresentationModel;

namespace Zombiesim.Core.Scenarios;

/// <summary>
/// A scenario's identity: the first 16 hex digits of the SHA-256 of its document as loaded, with
/// the <c>--set</c> values applied, written canonically (comments, layout and quoting style do not
/// count; every key and value does). A trace carries it, so that it replays only on the scenario it
/// was explored on.
/// </summary>
public static class ScenarioIdentity
{
    public const int Digits = 16;

    internal static string Of(YamlNode root)
    {
        var text = new StringBuilder();
        Write(root, text);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())))[..Digits];
    }

    /// <summary>True when <paramref name="text"/> has the form of an identity.</summary>
    public static bool IsWellFormed(string? text) => text is { Length: Digits } && text.All(Uri.IsHexDigit)
        && text == text.ToLowerInvariant();

    private static void Write(YamlNode node, StringBuilder text)
    {
        switch (node)
        {
            case YamlScalarNode s:
                if (s.Value is null)
                    text.Append('~');
                else
                    text.Append('"').Append(s.Value.Replace("\\", "\\\\").Replace("\"", "\\\"")).Append('"');
                break;
            case YamlSequenceNode seq:
                text.Append('[');
                foreach (var child in seq.Children)
                {
                    Write(child, text);
                    text.Append(',');
                }
                text.Append(']');
                break;
            case YamlMappingNode map:
                text.Append('{');
                foreach (var (key, value) in map.Children)
                {
                    Write(key, text);
                    text.Append(':');
                    Write(value, text);
                    text.Append(',');
                }
                text.Append('}');
                break;
        }
    }
}
