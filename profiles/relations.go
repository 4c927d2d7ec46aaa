// This file holds the Level 3 pattern roles (profile values, typed Profile)
// and the pattern link relations (untyped string constants). The base and
// mixin profiles are in profiles.go.
//
// Source: the pattern pages of the Level 3 specification,
// https://level3.rest/patterns/... (list, list/editable, page, page/offset,
// page/cursor, tree, filter, sort, chooser, stepper, toggle, process,
// metadata). Names are spelled with https as in the later draft; the older
// draft's http spelling matches through [Profile.Equal], [SameURI] and
// [SameRel]. Where the two drafts differ in more than the scheme, or the
// specification text looks inconsistent, the constant's comment says so.

package profiles

// Pattern roles: the `profile` values a resource adds to say which part it
// plays in a pattern. A resource lists them next to its base profile.
const (
	// RoleList is a List resource (Info or Nexus) with ordered
	// [RelListEntry] links.
	RoleList Profile = "https://level3.rest/patterns/list#list-resource"

	// RoleListEntry is an Entry of a List; it links back with [RelList].
	RoleListEntry Profile = "https://level3.rest/patterns/list#entry-resource"

	// RoleEditableList is a List that can be edited: it links to
	// [RelAddEntry] and [RelEmptyList]. It also presents [RoleList].
	RoleEditableList Profile = "https://level3.rest/patterns/list/editable#list-resource"

	// RoleAddEntry adds an entry to an editable List; often a Form.
	RoleAddEntry Profile = "https://level3.rest/patterns/list/editable#add-entry-resource"

	// RoleEmptyList is an Action that empties an editable List.
	RoleEmptyList Profile = "https://level3.rest/patterns/list/editable#empty-list-resource"

	// RolePaged is a resource whose elements are split into pages linked by
	// [RelPageNext] and [RelPagePrevious].
	RolePaged Profile = "https://level3.rest/patterns/page#paged-resource"

	// RolePageInfo describes an offset-paged resource's configuration
	// (`current`, `pages`, `size`).
	RolePageInfo Profile = "https://level3.rest/patterns/page/offset#page-info-resource"

	// RolePagination is the Lookup (a Form in older drafts) that changes the
	// offset paging configuration (`size`, `start`).
	RolePagination Profile = "https://level3.rest/patterns/page/offset#pagination-resource"

	// RoleCursorInfo describes a cursor-paged resource's cursor
	// (`cursorMark`, `limit`, `size`).
	RoleCursorInfo Profile = "https://level3.rest/patterns/page/cursor#cursor-info-resource"

	// RoleCursorEntry is a List Entry of a cursor-paged List, carrying a
	// `cursorMark`. It also presents [RoleListEntry].
	RoleCursorEntry Profile = "https://level3.rest/patterns/page/cursor#cursor-entry-resource"

	// RoleCursor is the Lookup that changes the cursor configuration
	// (`before`, `after`, `limit`, `size`).
	RoleCursor Profile = "https://level3.rest/patterns/page/cursor#cursor-resource"

	// RoleTree is the top of a Tree (Home or Nexus); it has [RelTreeChild]
	// links to its top-level nodes.
	RoleTree Profile = "https://level3.rest/patterns/tree#tree-resource"

	// RoleTreeNode is a Node of a Tree.
	RoleTreeNode Profile = "https://level3.rest/patterns/tree#node-resource"

	// RoleFiltered is a resource whose elements can be filtered.
	RoleFiltered Profile = "https://level3.rest/patterns/filter#filtered-resource"

	// RoleFilterInfo describes a Filtered resource's current `filters`.
	RoleFilterInfo Profile = "https://level3.rest/patterns/filter#filter-info-resource"

	// RoleFiltration is the Form that changes a Filtered resource's filters.
	RoleFiltration Profile = "https://level3.rest/patterns/filter#filtration-resource"

	// RoleSorted is a resource whose elements can be sorted.
	RoleSorted Profile = "https://level3.rest/patterns/sort#sorted-resource"

	// RoleSortInfo describes a Sorted resource's `sort-order`. The
	// specification gives this role the same URI as the [RelSortInfo]
	// relation (sort#sort-info, not sort#sort-info-resource).
	RoleSortInfo Profile = "https://level3.rest/patterns/sort#sort-info"

	// RoleSorter changes a Sorted resource's sort order (a Form in the
	// older draft, a Lookup in the later one).
	RoleSorter Profile = "https://level3.rest/patterns/sort#sorter-resource"

	// RoleRadioChooser is a Chooser that accepts a single choice (later
	// draft).
	RoleRadioChooser Profile = "https://level3.rest/patterns/chooser#radio-chooser-resource"

	// RoleMultiChooser is a Chooser that accepts several choices (later
	// draft).
	RoleMultiChooser Profile = "https://level3.rest/patterns/chooser#multi-chooser-resource"

	// RoleChooser is the older draft's single Chooser role, whose `type`
	// property says `radio` or `checks`; the later draft replaced it by
	// [RoleRadioChooser] and [RoleMultiChooser].
	RoleChooser Profile = "https://level3.rest/patterns/chooser#chooser-resource"

	// RoleChoice is an Action that selects (or toggles) one choice.
	RoleChoice Profile = "https://level3.rest/patterns/chooser#choice-resource"

	// RoleStepper holds a value that can be stepped up and down.
	RoleStepper Profile = "https://level3.rest/patterns/stepper#stepper-resource"

	// RoleIncrementer is an Action that increments a Stepper by one step.
	RoleIncrementer Profile = "https://level3.rest/patterns/stepper#incrementer-resource"

	// RoleDecrementer is an Action that decrements a Stepper by one step.
	RoleDecrementer Profile = "https://level3.rest/patterns/stepper#decrementer-resource"

	// RoleToggle holds a two-valued state that can be toggled.
	RoleToggle Profile = "https://level3.rest/patterns/toggle#toggle-resource"

	// RoleToggler is an Action that toggles a Toggle's value.
	RoleToggler Profile = "https://level3.rest/patterns/toggle#toggler-resource"

	// RoleProcess is the Process resource, with ordered [RelActivity]
	// links.
	RoleProcess Profile = "https://level3.rest/patterns/process#process-resource"

	// RoleActivity is one Activity of a Process.
	RoleActivity Profile = "https://level3.rest/patterns/process#activity-resource"

	// RoleMetadataContent is the Content resource described by a Metadata
	// resource.
	RoleMetadataContent Profile = "https://level3.rest/patterns/metadata#content-resource"

	// RoleMetadata is the Info resource that describes a Content resource.
	RoleMetadata Profile = "https://level3.rest/patterns/metadata#metadata-resource"
)

// List pattern link relations. Entry order is link order.
const (
	// RelListEntry links a List to each of its entries, in list order.
	RelListEntry = "https://level3.rest/patterns/list#list-entry"

	// RelList links an Entry back to its List.
	RelList = "https://level3.rest/patterns/list#list"

	// RelAddEntry links an editable List to the resource (often a Form)
	// that adds an entry.
	RelAddEntry = "https://level3.rest/patterns/list/editable#add-entry"

	// RelEmptyList links an editable List to the Action that empties it.
	RelEmptyList = "https://level3.rest/patterns/list/editable#empty-list"

	// RelAddsToList links an Add Entry resource back to its List.
	RelAddsToList = "https://level3.rest/patterns/list/editable#adds-to-list"

	// RelEmptiesList links an Empty List action back to its List.
	RelEmptiesList = "https://level3.rest/patterns/list/editable#empties-list"
)

// Page pattern link relations (base, Offset Page and Cursored Page).
const (
	// RelPageNext links a page to the next one. It is absent on the last
	// page.
	RelPageNext = "https://level3.rest/patterns/page#next"

	// RelPagePrevious links a page to the previous one.
	RelPagePrevious = "https://level3.rest/patterns/page#previous"

	// RelPageInfo links an offset-paged resource to its Page Info.
	RelPageInfo = "https://level3.rest/patterns/page/offset#page-info"

	// RelPaginator links a Page Info resource to the Pagination Lookup
	// that changes `size` and `start`.
	RelPaginator = "https://level3.rest/patterns/page/offset#paginator"

	// RelPaginates links a Pagination resource back to the paged resource
	// it configures.
	RelPaginates = "https://level3.rest/patterns/page/offset#paginates"

	// RelCursorInfo links a cursor-paged resource to its Cursor Info.
	RelCursorInfo = "https://level3.rest/patterns/page/cursor#cursor-info"

	// RelCursor links to the Cursor Lookup that changes `before`, `after`,
	// `limit` and `size`.
	RelCursor = "https://level3.rest/patterns/page/cursor#cursor"

	// RelCursorPaginates links a Cursor resource back to the paged resource
	// it configures.
	RelCursorPaginates = "https://level3.rest/patterns/page/cursor#paginates"

	// RelLegacyPageInfo is the page-info relation of an older draft, in
	// which the Page pattern had no offset/cursor sub-patterns (it was
	// written http://level3.rest/patterns/page#page-info).
	RelLegacyPageInfo = "https://level3.rest/patterns/page#page-info"

	// RelLegacyPaginator is the paginator relation of the same older draft
	// as [RelLegacyPageInfo].
	RelLegacyPaginator = "https://level3.rest/patterns/page#paginator"
)

// Tree pattern link relations.
const (
	// RelTreeParent links a Node to its parent Node. Top-level nodes have
	// none.
	RelTreeParent = "https://level3.rest/patterns/tree#parent"

	// RelTreeChild links a Tree or Node to each direct child, in sibling
	// order.
	RelTreeChild = "https://level3.rest/patterns/tree#child"

	// RelTreeTop links a Node to its Tree.
	RelTreeTop = "https://level3.rest/patterns/tree#top"
)

// Filter pattern link relations.
const (
	// RelFilterInfo links a Filtered resource to its Filter Info.
	RelFilterInfo = "https://level3.rest/patterns/filter#filter-info"

	// RelFilter links to the Filtration Form that changes the filters.
	RelFilter = "https://level3.rest/patterns/filter#filter"

	// RelFilters links a Filtration resource back to the Filtered resource.
	RelFilters = "https://level3.rest/patterns/filter#filters"
)

// Sort pattern link relations.
const (
	// RelSortInfo links a Sorted resource to its Sort Info.
	RelSortInfo = "https://level3.rest/patterns/sort#sort-info"

	// RelSorter links to the Sorter that changes the sort order. The
	// specification's section is headed "sorter" but gives the relation as
	// sort#sorter-resource (the same URI as [RoleSorter]); this constant
	// follows the relation as written. Unconfirmed for the latest draft.
	RelSorter = "https://level3.rest/patterns/sort#sorter-resource"

	// RelSorts links a Sorter back to the Sorted resource.
	RelSorts = "https://level3.rest/patterns/sort#sorts"
)

// Chooser pattern link relations.
const (
	// RelChoice links a Chooser to an unselected Choice (in the older
	// draft, to every Choice), in presentation order.
	RelChoice = "https://level3.rest/patterns/chooser#choice"

	// RelChosen links a Chooser to a selected Choice (later draft).
	RelChosen = "https://level3.rest/patterns/chooser#chosen"

	// RelChoiceFor links a Choice back to its Chooser.
	RelChoiceFor = "https://level3.rest/patterns/chooser#choice-for"

	// RelChoiceDescription links a Choice to the resource that describes
	// it, like the registered `describedby`.
	RelChoiceDescription = "https://level3.rest/patterns/chooser#description"
)

// Stepper pattern link relations. In the later draft the links may carry an
// `anchor` naming the field to step.
const (
	// RelIncrement links a Stepper to its Incrementer; absent at the
	// maximum.
	RelIncrement = "https://level3.rest/patterns/stepper#increment"

	// RelDecrement links a Stepper to its Decrementer; absent at the
	// minimum.
	RelDecrement = "https://level3.rest/patterns/stepper#decrement"

	// RelIncrements links an Incrementer back to its Stepper.
	RelIncrements = "https://level3.rest/patterns/stepper#increments"

	// RelDecrements links a Decrementer back to its Stepper.
	RelDecrements = "https://level3.rest/patterns/stepper#decrements"
)

// Toggle pattern link relations (may carry an `anchor` naming the field).
const (
	// RelToggle links a Toggle to its Toggler action.
	RelToggle = "https://level3.rest/patterns/toggle#toggle"

	// RelToggles links a Toggler back to its Toggle.
	RelToggles = "https://level3.rest/patterns/toggle#toggles"
)

// Process pattern link relations.
const (
	// RelActivity links a Process to each Activity, in flow order.
	RelActivity = "https://level3.rest/patterns/process#activity"

	// RelProcess links an Activity back to its Process.
	RelProcess = "https://level3.rest/patterns/process#process"

	// RelBlocks links an Activity to an Activity it blocks.
	RelBlocks = "https://level3.rest/patterns/process#blocks"

	// RelBlockedBy links an Activity, or the Process, to an Activity that
	// must be done first.
	RelBlockedBy = "https://level3.rest/patterns/process#blocked-by"
)

// Metadata pattern link relations.
const (
	// RelMetadata links a Content resource to the Metadata that describes
	// it, like the registered `describedby`.
	RelMetadata = "https://level3.rest/patterns/metadata#metadata"

	// RelMetadataContent links a Metadata resource to the Content it
	// describes, like the registered `describes`.
	RelMetadataContent = "https://level3.rest/patterns/metadata#content"
)
