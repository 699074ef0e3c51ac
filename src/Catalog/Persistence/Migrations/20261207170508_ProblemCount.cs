using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Portal.Catalog.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class ProblemCount : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<int>(
                name: "problem_count",
                schema: "catalog",
                table: "locations",
                type: "integer",
                nullable: false,
                defaultValue: 0);

            // Locations read before kept every problem: count them, and keep the first 100
            // (CatalogLimits.MaxProblemsReported when this was written), as a refresh now does.
            migrationBuilder.Sql("""
                UPDATE catalog.locations
                SET problem_count = jsonb_array_length(problems),
                    problems = (SELECT jsonb_agg(p.problem ORDER BY p.n) FROM jsonb_array_elements(problems) WITH ORDINALITY AS p(problem, n) WHERE p.n <= 100)
                WHERE jsonb_typeof(problems) = 'array';
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "problem_count",
                schema: "catalog",
                table: "locations");
        }
    }
}
