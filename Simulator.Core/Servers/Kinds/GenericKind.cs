namespace Zombiesim.Core.Servers.Kinds;

/// <summary>The model's neutral server: an idle close without a word, a refusal without a word but
/// the model's own, QUIT answered like Redis's; nothing it does is specific to a product.</summary>
internal sealed class GenericKind : ServerKind
{
    public static GenericKind Instance { get; } = new();

    public override bool RepliesToQuit => true;
}
