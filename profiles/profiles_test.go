package profiles

import (
	"errors"
	"net/url"
	"reflect"
	"strings"
	"testing"
)

func TestCanonical(t *testing.T) {
	tests := []struct {
		in   Profile
		want Profile
	}{
		{Home, Home},
		{"http://level3.rest/profiles/home", Home},
		{"HTTPS://Level3.REST/profiles/home", Home},
		{"HtTp://LEVEL3.rest/profiles/data", Data},
		{Root, Home},
		{"https://level3.rest/profiles/root", Home},
		{"HTTP://LEVEL3.REST/profiles/root", Home},
		{"  https://level3.rest/profiles/data\t", Data},
		{"<https://level3.rest/profiles/data>", Data},
		{" < http://level3.rest/profiles/mixins/entity > ", Entity},
		// The path keeps its case.
		{"https://level3.rest/Profiles/Data", "https://level3.rest/Profiles/Data"},
		// Root only maps to Home on level3.rest and for that exact path.
		{"http://example.com/profiles/root", "https://example.com/profiles/root"},
		{"https://level3.rest/profiles/root/", "https://level3.rest/profiles/root/"},
		// User info keeps its case; the host after it is lowered.
		{"http://User:Pw@Example.COM:8080/P?Q#F", "https://User:Pw@example.com:8080/P?Q#F"},
		{"http://Example.COM", "https://example.com"},
		{"http://Example.COM?x", "https://example.com?x"},
		// Other schemes only lose their case.
		{"URN:Example:Thing", "urn:Example:Thing"},
		{"FTP://Host/x", "ftp://host/x"},
		// Not URIs: trimmed only.
		{"next", "next"},
		{" Next ", "Next"},
		{"<>", ""},
		{"", ""},
		{"1http://x", "1http://x"},
		{"<unclosed", "<unclosed"},
	}
	for _, tt := range tests {
		if got := tt.in.Canonical(); got != tt.want {
			t.Errorf("Profile(%q).Canonical() = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestEqual(t *testing.T) {
	tests := []struct {
		a, b Profile
		want bool
	}{
		{Home, Home, true},
		{Root, Home, true},
		{Home, Root, true},
		{"http://level3.rest/profiles/home", Home, true},
		{"http://level3.rest/profiles/data", "https://LEVEL3.rest/profiles/data", true},
		{"<https://level3.rest/profiles/form> ", Form, true},
		{"https://level3.rest/profiles/data ", Data, true},
		{Data, Info, false},
		{Data, "https://level3.rest/profiles/DATA", false},
		{Entity, "https://level3.rest/profiles/entity", false},
		{"ftp://level3.rest/profiles/data", Data, false},
		{"", "", true},
		{"", Home, false},
	}
	for _, tt := range tests {
		if got := tt.a.Equal(tt.b); got != tt.want {
			t.Errorf("Profile(%q).Equal(%q) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestName(t *testing.T) {
	tests := []struct {
		p    Profile
		want string
	}{
		{Home, "home"},
		{Root, "home"},
		{Nexus, "nexus"},
		{Info, "info"},
		{Data, "data"},
		{Content, "content"},
		{Alias, "alias"},
		{Action, "action"},
		{Form, "form"},
		{Lookup, "lookup"},
		{Upload, "upload"},
		{Entity, "entity"},
		{Preflight, "preflight"},
		{Representation, "representation"},
		{Async, "async"},
		{"http://level3.rest/profiles/mixins/async", "async"},
		{"<HTTP://LEVEL3.REST/profiles/upload>", "upload"},
		{RoleList, ""},
		{"https://example.com/profiles/data", ""},
		{"data", ""},
		{"", ""},
	}
	for _, tt := range tests {
		if got := tt.p.Name(); got != tt.want {
			t.Errorf("Profile(%q).Name() = %q, want %q", tt.p, got, tt.want)
		}
	}
}

func TestKinds(t *testing.T) {
	for _, p := range []Profile{Home, Root, Nexus, Info, Data, Content, Alias, Action, Form, Lookup, Upload} {
		if !p.IsBase() || p.IsMixin() {
			t.Errorf("%s: IsBase %v, IsMixin %v; want true, false", p, p.IsBase(), p.IsMixin())
		}
	}
	for _, p := range []Profile{Entity, Preflight, Representation, Async} {
		if p.IsBase() || !p.IsMixin() {
			t.Errorf("%s: IsBase %v, IsMixin %v; want false, true", p, p.IsBase(), p.IsMixin())
		}
	}
	for _, p := range []Profile{RoleList, "https://example.com/x", ""} {
		if p.IsBase() || p.IsMixin() {
			t.Errorf("%q: IsBase %v, IsMixin %v; want false, false", p, p.IsBase(), p.IsMixin())
		}
	}
}

func TestString(t *testing.T) {
	if got := Profile(" <x:y> ").String(); got != " <x:y> " {
		t.Errorf("String() = %q, want the value unchanged", got)
	}
}

func TestSameURI(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{RelPageNext, RelPageNext, true},
		{"http://level3.rest/patterns/page#next", RelPageNext, true},
		{"HTTPS://LEVEL3.REST/patterns/page#next", RelPageNext, true},
		{"https://level3.rest/patterns/page#NEXT", RelPageNext, false},
		{"https://level3.rest/Patterns/page#next", RelPageNext, false},
		{"next", "next", true},
		{"next", "NEXT", true},
		{"next", "previous", false},
		{"next", RelPageNext, false},
		// Root is not Home for SameURI.
		{string(Root), string(Home), false},
		{string(Root), "https://level3.rest/profiles/root", true},
		{"mailto:A@B", "MAILTO:A@B", true},
		{"mailto:A@B", "mailto:a@b", false},
		{"", "", true},
	}
	for _, tt := range tests {
		if got := SameURI(tt.a, tt.b); got != tt.want {
			t.Errorf("SameURI(%q, %q) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
		if got := SameURI(tt.b, tt.a); got != tt.want {
			t.Errorf("SameURI(%q, %q) = %v, want %v", tt.b, tt.a, got, tt.want)
		}
	}
}

func TestSameRel(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{"http://level3.rest/patterns/page#next", RelPageNext, true},
		{"https://level3.rest/patterns/page#NEXT", RelPageNext, true},
		{"HTTP://Level3.rest/PATTERNS/list#List-Entry", RelListEntry, true},
		{"Next", "next", true},
		{"next", RelPageNext, false},
		{RelPageNext, RelPagePrevious, false},
	}
	for _, tt := range tests {
		if got := SameRel(tt.a, tt.b); got != tt.want {
			t.Errorf("SameRel(%q, %q) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestSetHas(t *testing.T) {
	s := Set{Root, "http://level3.rest/profiles/data", Entity, RoleList}
	tests := []struct {
		p    Profile
		want bool
	}{
		{Home, true},
		{Root, true},
		{Data, true},
		{"<https://LEVEL3.REST/profiles/data>", true},
		{Entity, true},
		{"http://level3.rest/profiles/mixins/entity", true},
		{RoleList, true},
		{"http://level3.rest/patterns/list#list-resource", true},
		{Info, false},
		{Preflight, false},
		{RoleListEntry, false},
		{"", false},
	}
	for _, tt := range tests {
		if got := s.Has(tt.p); got != tt.want {
			t.Errorf("Has(%q) = %v, want %v", tt.p, got, tt.want)
		}
	}
	if (Set)(nil).Has(Home) {
		t.Error("nil Set Has(Home) = true")
	}
}

func TestSetBase(t *testing.T) {
	tests := []struct {
		s    Set
		want Profile
	}{
		{nil, ""},
		{Set{Entity, RoleList}, ""},
		{Set{Entity, "http://level3.rest/profiles/data"}, "http://level3.rest/profiles/data"},
		{Set{Alias, Data, Entity}, Alias},
		{Set{Root}, Root},
	}
	for _, tt := range tests {
		if got := tt.s.Base(); got != tt.want {
			t.Errorf("%v.Base() = %q, want %q", tt.s, got, tt.want)
		}
	}
}

func TestSetString(t *testing.T) {
	tests := []struct {
		s    Set
		want string
	}{
		{nil, ""},
		{Set{Data}, "<https://level3.rest/profiles/data>"},
		{Set{Data, Entity}, "<https://level3.rest/profiles/data>, <https://level3.rest/profiles/mixins/entity>"},
		{Set{"urn:a,b"}, "<urn:a,b>"},
	}
	for _, tt := range tests {
		if got := tt.s.String(); got != tt.want {
			t.Errorf("%#v.String() = %q, want %q", tt.s, got, tt.want)
		}
	}
}

func TestParse(t *testing.T) {
	tests := []struct {
		name   string
		values []string
		want   Set
	}{
		{"nothing", nil, nil},
		{"blank", []string{"", "  ", " , ,\t"}, nil},
		{"one", []string{"<https://level3.rest/profiles/data>"}, Set{Data}},
		{"list", []string{"<https://level3.rest/profiles/data>, <https://level3.rest/profiles/mixins/entity>"}, Set{Data, Entity}},
		{"no spaces", []string{"<https://level3.rest/profiles/data>,<https://level3.rest/profiles/mixins/entity>"}, Set{Data, Entity}},
		{"tabs and spaces", []string{" \t<https://level3.rest/profiles/data> \t,\t <https://level3.rest/profiles/mixins/entity>\t "}, Set{Data, Entity}},
		{"space inside brackets", []string{"< https://level3.rest/profiles/data >"}, Set{Data}},
		{
			"several lines",
			[]string{"<https://level3.rest/profiles/form>", "<https://level3.rest/profiles/mixins/preflight>, <https://level3.rest/profiles/mixins/async>"},
			Set{Form, Preflight, Async},
		},
		{"bare", []string{"https://level3.rest/profiles/data, https://level3.rest/profiles/mixins/entity"}, Set{Data, Entity}},
		{"bare and bracketed", []string{"https://level3.rest/profiles/data,<https://level3.rest/profiles/mixins/entity>"}, Set{Data, Entity}},
		{"comma in brackets", []string{"<urn:x:a,b>, <https://level3.rest/profiles/info>"}, Set{"urn:x:a,b", Info}},
		{"comma in bare URI splits it", []string{"urn:x:a,urn:y"}, Set{"urn:x:a", "urn:y"}},
		{"empty elements", []string{"urn:a,,urn:b"}, Set{"urn:a", "urn:b"}},
		{"leading and trailing commas", []string{",<urn:a>,", ",urn:b,"}, Set{"urn:a", "urn:b"}},
		{"older draft", []string{"<http://level3.rest/profiles/root>"}, Set{Root}},
		{
			"duplicates by Equal keep the first spelling",
			[]string{"<http://level3.rest/profiles/root>, <https://level3.rest/profiles/home>", "<HTTP://LEVEL3.REST/profiles/root>"},
			Set{Root},
		},
		{"duplicates across lines", []string{"<urn:a>", "<urn:b>, <urn:a>"}, Set{"urn:a", "urn:b"}},
		{"pattern role", []string{"<https://level3.rest/profiles/info>, <https://level3.rest/patterns/list#list-resource>"}, Set{Info, RoleList}},
		{"query and fragment", []string{"<https://example.com/p?a=1&b=2#f>"}, Set{"https://example.com/p?a=1&b=2#f"}},
		{"non-ASCII", []string{"<https://example.com/é>"}, Set{"https://example.com/é"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(tt.values...)
			if err != nil {
				t.Fatalf("Parse(%q) error: %v", tt.values, err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Parse(%q) = %q, want %q", tt.values, got, tt.want)
			}
		})
	}
}

func TestParseMalformed(t *testing.T) {
	tests := []struct {
		name    string
		values  []string
		want    Set
		reasons []error // one per malformed entry, in order
	}{
		{"empty brackets", []string{"<>, <urn:a>"}, Set{"urn:a"}, []error{ErrEmpty}},
		{"blank brackets", []string{"< \t>"}, nil, []error{ErrEmpty}},
		{"unterminated", []string{"<urn:a>, <urn:b, urn:c"}, Set{"urn:a"}, []error{ErrUnterminated}},
		{"unterminated does not spoil other lines", []string{"<urn:a", "<urn:b>"}, Set{"urn:b"}, []error{ErrUnterminated}},
		{"text after bracket", []string{"<urn:a>;q=1, <urn:b>"}, Set{"urn:b"}, []error{ErrTrailingText}},
		{"missing comma", []string{"<urn:a> <urn:b>, <urn:c>"}, Set{"urn:c"}, []error{ErrTrailingText}},
		{"control character", []string{"<urn:a\x00b>, <urn:c>"}, Set{"urn:c"}, []error{ErrInvalidChar}},
		{"bare control character", []string{"urn:a\x7f, urn:c"}, Set{"urn:c"}, []error{ErrInvalidChar}},
		{"CR LF", []string{"urn:a\r\n, urn:c"}, Set{"urn:c"}, []error{ErrInvalidChar}},
		{"C1 control", []string{"<urn:a\u0085>"}, nil, []error{ErrInvalidChar}},
		{"space inside", []string{"<urn:a b>, https://x y"}, nil, []error{ErrInvalidChar, ErrInvalidChar}},
		{"no-break space", []string{"<urn:a\u00a0b>"}, nil, []error{ErrInvalidChar}},
		{"stray bracket", []string{"urn:a>b, urn:c<d, urn:e"}, Set{"urn:e"}, []error{ErrInvalidChar, ErrInvalidChar}},
		{"invalid UTF-8", []string{"<urn:\xff>"}, nil, []error{ErrInvalidChar}},
		{"relative", []string{"</profiles/data>, profiles/data, <https://level3.rest/profiles/data>"}, Set{Data}, []error{ErrNotAbsolute, ErrNotAbsolute}},
		{"registered name", []string{"data"}, nil, []error{ErrNotAbsolute}},
		{"scheme only", []string{"<urn:>"}, nil, []error{ErrNotAbsolute}},
		{"bad scheme", []string{"<1a:b>, <:b>"}, nil, []error{ErrNotAbsolute, ErrNotAbsolute}},
		{"bad escape", []string{"<https://example.com/%zz>"}, nil, []error{ErrNotAbsolute}},
		{"bad port", []string{"<https://example.com:port/>"}, nil, []error{ErrNotAbsolute}},
		{
			"errors in several lines",
			[]string{"<urn:a>, <>", "junk, <urn:b>", "<urn:c"},
			Set{"urn:a", "urn:b"},
			[]error{ErrEmpty, ErrNotAbsolute, ErrUnterminated},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(tt.values...)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Parse(%q) = %q, want %q", tt.values, got, tt.want)
			}
			if err == nil {
				t.Fatalf("Parse(%q) error = nil, want %d errors", tt.values, len(tt.reasons))
			}
			errs := err.(interface{ Unwrap() []error }).Unwrap()
			if len(errs) != len(tt.reasons) {
				t.Fatalf("Parse(%q) gave %d errors, want %d: %v", tt.values, len(errs), len(tt.reasons), err)
			}
			for i, e := range errs {
				var se *SyntaxError
				if !errors.As(e, &se) {
					t.Errorf("error %d is %T, want *SyntaxError: %v", i, e, e)
					continue
				}
				if !errors.Is(e, tt.reasons[i]) {
					t.Errorf("error %d = %v, want it to wrap %q", i, e, tt.reasons[i])
				}
				if se.Value < 0 || se.Value >= len(tt.values) || se.Offset < 0 || se.Offset > len(tt.values[se.Value]) {
					t.Errorf("error %d: position (%d, %d) out of range", i, se.Value, se.Offset)
				} else if !strings.HasPrefix(tt.values[se.Value][se.Offset:], se.Entry) {
					t.Errorf("error %d: Entry %q not found at value %d offset %d", i, se.Entry, se.Value, se.Offset)
				}
				if !strings.HasPrefix(e.Error(), "profiles: ") {
					t.Errorf("error %d message %q lacks the package prefix", i, e)
				}
			}
		})
	}
}

func TestParseErrorPosition(t *testing.T) {
	_, err := Parse("<urn:a>", "<urn:b>,  <urn:\x01>")
	var se *SyntaxError
	if !errors.As(err, &se) {
		t.Fatalf("error %v is not a *SyntaxError", err)
	}
	want := SyntaxError{Value: 1, Offset: 10, Entry: "<urn:\x01>"}
	if se.Value != want.Value || se.Offset != want.Offset || se.Entry != want.Entry {
		t.Errorf("got Value %d, Offset %d, Entry %q; want %d, %d, %q", se.Value, se.Offset, se.Entry, want.Value, want.Offset, want.Entry)
	}
	if msg := se.Error(); !strings.Contains(msg, `"<urn:\x01>"`) || !strings.Contains(msg, "header value 1, offset 10") {
		t.Errorf("message %q does not quote the entry and its position", msg)
	}
}

func TestParseErrorCap(t *testing.T) {
	v := strings.Repeat("<>,", 100) + "<urn:ok>"
	got, err := Parse(v)
	if !reflect.DeepEqual(got, Set{"urn:ok"}) {
		t.Errorf("got %q, want [urn:ok]", got)
	}
	errs := err.(interface{ Unwrap() []error }).Unwrap()
	if len(errs) != maxErrors+1 {
		t.Fatalf("got %d errors, want %d", len(errs), maxErrors+1)
	}
	if msg := errs[maxErrors].Error(); !strings.Contains(msg, "84 more") {
		t.Errorf("summary %q does not count the 84 unreported entries", msg)
	}
	long := "<urn:" + strings.Repeat("x y", 1000) + ">"
	if _, err = Parse(long); err == nil {
		t.Fatalf("Parse(long) error = nil")
	}
	if len(err.Error()) > 300 {
		t.Errorf("message for a long entry is %d bytes long, want it truncated", len(err.Error()))
	}
}

// TestParseRoundTrip checks that String and Parse are inverse on the sets
// Parse produces.
func TestParseRoundTrip(t *testing.T) {
	s, err := Parse("<urn:x:a,b>, https://level3.rest/profiles/data", "<http://level3.rest/profiles/root>")
	if err != nil {
		t.Fatal(err)
	}
	back, err := Parse(s.String())
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, s) {
		t.Errorf("Parse(%q) = %q, want %q", s.String(), back, s)
	}
}

// TestConstants checks that every constant is an absolute https URI that
// Parse accepts, and that the constants are distinct.
func TestConstants(t *testing.T) {
	all := []Profile{
		Home, Nexus, Info, Data, Content, Alias, Action, Form, Lookup, Upload,
		Entity, Preflight, Representation, Async,
		RoleList, RoleListEntry, RoleEditableList, RoleAddEntry, RoleEmptyList,
		RolePaged, RolePageInfo, RolePagination, RoleCursorInfo, RoleCursorEntry, RoleCursor,
		RoleTree, RoleTreeNode, RoleFiltered, RoleFilterInfo, RoleFiltration,
		RoleSorted, RoleSortInfo, RoleSorter, RoleRadioChooser, RoleMultiChooser, RoleChooser, RoleChoice,
		RoleStepper, RoleIncrementer, RoleDecrementer, RoleToggle, RoleToggler,
		RoleProcess, RoleActivity, RoleMetadataContent, RoleMetadata,
	}
	rels := []string{
		RelListEntry, RelList, RelAddEntry, RelEmptyList, RelAddsToList, RelEmptiesList,
		RelPageNext, RelPagePrevious, RelPageInfo, RelPaginator, RelPaginates,
		RelCursorInfo, RelCursor, RelCursorPaginates, RelLegacyPageInfo, RelLegacyPaginator,
		RelTreeParent, RelTreeChild, RelTreeTop,
		RelFilterInfo, RelFilter, RelFilters,
		RelSortInfo, RelSorter, RelSorts,
		RelChoice, RelChosen, RelChoiceFor, RelChoiceDescription,
		RelIncrement, RelDecrement, RelIncrements, RelDecrements,
		RelToggle, RelToggles,
		RelActivity, RelProcess, RelBlocks, RelBlockedBy,
		RelMetadata, RelMetadataContent,
	}
	seen := map[string]string{}
	check := func(kind, s string) {
		if !strings.HasPrefix(s, "https://level3.rest/") {
			t.Errorf("%s %q is not an https://level3.rest/ URI", kind, s)
		}
		if got, err := Parse("<" + s + ">"); err != nil || len(got) != 1 || string(got[0]) != s {
			t.Errorf("Parse(<%s>) = %q, %v", s, got, err)
		}
		if u, err := url.Parse(s); err != nil || !u.IsAbs() {
			t.Errorf("%s %q: not an absolute URL: %v", kind, s, err)
		}
		if prev, ok := seen[s]; ok && !(kind == "relation" && prev == "role") {
			t.Errorf("%s %q duplicates a %s", kind, s, prev)
		}
		seen[s] = kind
	}
	for _, p := range all {
		check("role", string(p))
	}
	for _, r := range rels {
		check("relation", r)
	}
}
