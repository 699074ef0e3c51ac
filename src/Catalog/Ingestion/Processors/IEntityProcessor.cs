namespace Portal.Catalog.Ingestion.Processors;

/// <summary>
/// One step of descriptor processing, shaped after Backstage's catalog processors: it validates a document, may
/// normalize it, and emits relations and problems through the <see cref="EntityProcessingContext"/>. Register with
/// <c>AddCatalogProcessor&lt;T&gt;()</c>; the built-in <see cref="EnvelopeProcessor"/> and
/// <see cref="BuiltinKindsProcessor"/> use this seam too.
/// </summary>
/// <remarks>
/// <para><b>Lifetime:</b> a singleton, created once and used for every document of every file.</para>
/// <para><b>Thread safety:</b> files are read concurrently, so <see cref="Process"/> is called from many threads at
/// once. Keep no per-document state in fields; everything about the document lives in the context.</para>
/// <para><b>Ordering:</b> processors run in ascending <see cref="Order"/> (ties by <see cref="Name"/>).
/// <see cref="EnvelopeProcessor"/> is 0 and identifies the entity, so a processor that needs
/// <see cref="EntityProcessingContext.Ref"/> uses an Order above 0; <see cref="BuiltinKindsProcessor"/> is 100.</para>
/// <para><b>Failure:</b> report problems with <see cref="EntityProcessingContext.Error"/> or
/// <see cref="EntityProcessingContext.Warning"/>; never throw for bad input. After a processor reports an error the
/// document is rejected and later processors do not see it. An exception that escapes anyway rejects only that
/// document, with an error naming the processor.</para>
/// </remarks>
public interface IEntityProcessor
{
    /// <summary>A stable name, used in messages (e.g. <c>builtin-kinds</c>).</summary>
    string Name { get; }

    /// <summary>Position in the chain; lower runs first.</summary>
    int Order { get; }

    /// <summary>Processes one document. Must not block on I/O and must not throw for bad input.</summary>
    void Process(EntityProcessingContext context);
}
