using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Portal.Catalog.Persistence.Configurations;

internal sealed class EntityRowConfiguration : IEntityTypeConfiguration<EntityRow>
{
    // True exactly where spec_owner is null and the facts hold spec.owner (a generated column cannot read another). The
    // CASE guards jsonb_array_length, which fails on anything but an array.
    private const string OwnerIrregularSql =
        "CASE WHEN jsonb_typeof(facts -> 'spec.owner') = 'array' " +
        "THEN CASE WHEN jsonb_array_length(facts -> 'spec.owner') = 1 THEN facts -> 'spec.owner' ->> 0 IS NULL ELSE TRUE END " +
        "ELSE facts ? 'spec.owner' END";

    public void Configure(EntityTypeBuilder<EntityRow> entity)
    {
        entity.ToTable("entities");
        entity.HasKey(e => e.Id);
        entity.Property(e => e.Id).HasColumnName("id").ValueGeneratedNever();
        entity.Property(e => e.Ref).HasColumnName("ref");
        entity.Property(e => e.Kind).HasColumnName("kind");
        entity.Property(e => e.Namespace).HasColumnName("namespace");
        entity.Property(e => e.Name).HasColumnName("name");
        entity.Property(e => e.Title).HasColumnName("title");
        entity.Property(e => e.Description).HasColumnName("description");
        entity.Property(e => e.Type).HasColumnName("type");
        entity.Property(e => e.Lifecycle).HasColumnName("lifecycle");
        entity.Property(e => e.OwnerRef).HasColumnName("owner_ref");
        entity.Property(e => e.SystemRef).HasColumnName("system_ref");
        entity.Property(e => e.Tags).HasColumnName("tags");
        entity.Property(e => e.Document).HasColumnName("document").HasColumnType("jsonb");
        entity.Property(e => e.DocumentText).HasColumnName("document_text").HasComputedColumnSql("document::text", stored: true);
        entity.Property(e => e.Facts).HasColumnName("facts").HasColumnType("jsonb");
        entity.Property(e => e.SpecOwner).HasColumnName("spec_owner")
            .HasComputedColumnSql("CASE WHEN jsonb_typeof(facts -> 'spec.owner') = 'array' THEN CASE WHEN jsonb_array_length(facts -> 'spec.owner') = 1 THEN facts -> 'spec.owner' ->> 0 END END", stored: true);
        entity.Property(e => e.OwnerIrregular).HasColumnName("owner_irregular")
            .HasComputedColumnSql(OwnerIrregularSql, stored: true);
        entity.Property(e => e.SearchText).HasColumnName("search_text");
        entity.Property(e => e.StatusItems).HasColumnName("status_items").HasColumnType("jsonb");
        entity.Property(e => e.Etag).HasColumnName("etag");
        entity.Property(e => e.Hash).HasColumnName("hash");
        entity.Property(e => e.LocationId).HasColumnName("location_id");
        entity.Property(e => e.Orphan).HasColumnName("orphan");
        entity.Property(e => e.CreatedAt).HasColumnName("created_at");
        entity.Property(e => e.UpdatedAt).HasColumnName("updated_at");

        entity.HasIndex(e => e.Ref).IsUnique().HasDatabaseName("ix_entities_ref");

        // Page orderings and the common filters: by kind, by owner, by system, by location.
        entity.HasIndex(e => new { e.Kind, e.Ref }).HasDatabaseName("ix_entities_kind_ref");
        entity.HasIndex(e => new { e.OwnerRef, e.Kind, e.Ref }).HasDatabaseName("ix_entities_owner_kind_ref");
        entity.HasIndex(e => new { e.SystemRef, e.Ref }).HasDatabaseName("ix_entities_system_ref");
        entity.HasIndex(e => e.LocationId).HasDatabaseName("ix_entities_location");

        // Arbitrary Backstage filters (`spec.type=service`, `metadata.tags`): key existence here, and containment in the
        // path index below. jsonb_ops indexes keys and values apart, so `spec.owner = x` intersected the list of every
        // entity with an owner (0.32 ms at 100k); jsonb_path_ops hashes key and value together (0.015 ms) but cannot
        // answer existence, hence both.
        entity.HasIndex(e => e.Facts, "ix_entities_facts").HasMethod("gin");
        entity.HasIndex(e => e.Facts, "ix_entities_facts_path").HasMethod("gin").HasOperators("jsonb_path_ops");

        // `spec.owner = x`, the team page's filter, by B-tree: 3.4 times the facts index's throughput at 10k (a GIN probe
        // plans slower and its generic plan ANDs in every row of the kind). The entities whose facts hold spec.owner but
        // not as one value (a custom kind's list, or null) have a small facts index of their own, so that the filter
        // stays exact for them. It is partial on a column, not an expression: the column's statistics know how few they
        // are, so a prepared statement's generic plan is estimated as cheaply as a custom one and PostgreSQL stops planning
        // the team page anew on every execution (at 100k, 3,358 against 80 with the expression index before).
        entity.HasIndex(e => new { e.SpecOwner, e.Kind, e.Ref }).HasDatabaseName("ix_entities_spec_owner");
        entity.HasIndex(e => e.Facts, "ix_entities_owner_irregular").HasMethod("gin").HasOperators("jsonb_path_ops")
            .HasFilter("owner_irregular");

        // fullTextFilterTerm is a case-insensitive substring match: trigrams make '%term%' indexable.
        entity.HasIndex(e => e.SearchText).HasMethod("gin").HasOperators("gin_trgm_ops").HasDatabaseName("ix_entities_search");
    }
}

internal sealed class RelationRowConfiguration : IEntityTypeConfiguration<RelationRow>
{
    public void Configure(EntityTypeBuilder<RelationRow> relation)
    {
        relation.ToTable("relations");
        relation.HasKey(r => new { r.OriginId, r.SourceRef, r.Type, r.TargetRef });
        relation.Property(r => r.OriginId).HasColumnName("origin_id");
        relation.Property(r => r.SourceRef).HasColumnName("source_ref");
        relation.Property(r => r.Type).HasColumnName("type");
        relation.Property(r => r.TargetRef).HasColumnName("target_ref");

        // Outgoing edges of a page of entities; and "who has relation T to X" for relation filters and graphs.
        relation.HasIndex(r => new { r.SourceRef, r.Type }).HasDatabaseName("ix_relations_source");
        relation.HasIndex(r => new { r.TargetRef, r.Type }).HasDatabaseName("ix_relations_target");
    }
}

internal sealed class LocationRowConfiguration : IEntityTypeConfiguration<LocationRow>
{
    public void Configure(EntityTypeBuilder<LocationRow> location)
    {
        location.ToTable("locations");
        location.HasKey(l => l.Id);
        location.Property(l => l.Id).HasColumnName("id").ValueGeneratedNever();
        location.Property(l => l.Type).HasColumnName("type");
        location.Property(l => l.Target).HasColumnName("target");
        location.Property(l => l.CreatedAt).HasColumnName("created_at");
        location.Property(l => l.RefreshedAt).HasColumnName("refreshed_at");
        location.Property(l => l.Problems).HasColumnName("problems").HasColumnType("jsonb");
        location.Property(l => l.ProblemCount).HasColumnName("problem_count");
        location.HasIndex(l => new { l.Type, l.Target }).IsUnique().HasDatabaseName("ix_locations_type_target");
    }
}

internal sealed class HistoryRowConfiguration : IEntityTypeConfiguration<HistoryRow>
{
    public void Configure(EntityTypeBuilder<HistoryRow> history)
    {
        history.ToTable("entity_history");
        history.HasKey(h => h.Id);
        history.Property(h => h.Id).HasColumnName("id").UseIdentityAlwaysColumn();
        history.Property(h => h.EntityId).HasColumnName("entity_id");
        history.Property(h => h.EntityRef).HasColumnName("entity_ref");
        history.Property(h => h.Change).HasColumnName("change");
        history.Property(h => h.Actor).HasColumnName("actor");
        history.Property(h => h.ChangedFields).HasColumnName("changed_fields");
        history.Property(h => h.At).HasColumnName("at");
        history.HasIndex(h => new { h.EntityRef, h.Id }).HasDatabaseName("ix_entity_history_ref");
    }
}

internal sealed class CatalogStateRowConfiguration : IEntityTypeConfiguration<CatalogStateRow>
{
    public void Configure(EntityTypeBuilder<CatalogStateRow> state)
    {
        state.ToTable("catalog_state");
        state.HasKey(s => s.Id);
        state.Property(s => s.Id).HasColumnName("id").ValueGeneratedNever();
        state.Property(s => s.Version).HasColumnName("version");
        state.HasData(new CatalogStateRow { Id = 1, Version = 0 });
    }
}
