package decode

import "testing"

func TestParseOptions(t *testing.T) {
	tests := []struct {
		name  string
		b     []byte
		want  int // declared option area length; 0 means len(b)
		check func(t *testing.T, o *Options)
	}{
		{
			// options [mss 65495,sackOK,TS val 3864737518 ecr 0,nop,wscale 10]
			name: "SYN options",
			b:    []byte{2, 4, 0xff, 0xd7, 4, 2, 8, 10, 0xe6, 0x5b, 0x36, 0xee, 0, 0, 0, 0, 1, 3, 3, 10},
			check: func(t *testing.T, o *Options) {
				if o.N != 5 || o.MSS != 65495 || o.WScale != 10 || o.TSVal != 3864737518 || o.Set != HasMSS|HasSACKPerm|HasTimestamps|HasWScale {
					t.Errorf("%+v", o)
				}
			},
		},
		{
			name: "SACK blocks",
			b:    []byte{1, 1, 5, 18, 0, 0, 0x03, 0xe9, 0, 0, 0x07, 0xd1, 0, 0, 0x0b, 0xb9, 0, 0, 0x0f, 0xa1},
			check: func(t *testing.T, o *Options) {
				if o.NSACK != 2 || o.SACK[0] != (SACKBlock{1001, 2001}) || o.SACK[1] != (SACKBlock{3001, 4001}) || o.Set != HasSACK {
					t.Errorf("%+v", o)
				}
			},
		},
		{
			name: "EOL then padding",
			b:    []byte{2, 4, 5, 0xb4, 0, 0, 0, 0},
			check: func(t *testing.T, o *Options) {
				if o.N != 2 || o.List[1].Kind != OptEOL || o.Padding != 3 || o.MSS != 1460 {
					t.Errorf("%+v", o)
				}
			},
		},
		{
			name: "unknown kind keeps its length",
			b:    []byte{99, 4, 0xaa, 0xbb, 1, 1, 1, 1},
			check: func(t *testing.T, o *Options) {
				if o.N != 5 || o.List[0] != (Option{Kind: 99, Len: 4}) || string(o.Data(o.List[0])) != "\xaa\xbb" || o.Malformed {
					t.Errorf("%+v", o)
				}
			},
		},
		{
			name: "length zero is malformed, walking stops",
			b:    []byte{2, 0, 1, 1},
			check: func(t *testing.T, o *Options) {
				if !o.Malformed || o.N != 1 {
					t.Errorf("%+v", o)
				}
			},
		},
		{
			name: "length past the header",
			b:    []byte{8, 10, 0, 0},
			check: func(t *testing.T, o *Options) {
				if !o.Malformed || o.N != 1 || o.Set != 0 {
					t.Errorf("%+v", o)
				}
			},
		},
		{
			name: "MSS of the wrong length",
			b:    []byte{2, 3, 5, 1},
			check: func(t *testing.T, o *Options) {
				if !o.Malformed || o.Set&HasMSS != 0 {
					t.Errorf("%+v", o)
				}
			},
		},
		{
			name: "cut short by the capture",
			b:    []byte{2, 4, 0xff, 0xd7, 8, 10, 1, 2},
			want: 14,
			check: func(t *testing.T, o *Options) {
				if !o.Truncated || o.Malformed || o.N != 2 || o.Set != HasMSS || o.List[1].Len != 10 {
					t.Errorf("%+v", o)
				}
			},
		},
		{
			name: "forty NOPs",
			b:    []byte{1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1},
			check: func(t *testing.T, o *Options) {
				if o.N != 40 || o.Malformed {
					t.Errorf("%+v", o)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var o Options
			want := tt.want
			if want == 0 {
				want = len(tt.b)
			}
			parseOptions(&o, tt.b, want)
			tt.check(t, &o)
		})
	}
}

// FuzzOptions walks arbitrary option areas. Seeds
// (testdata/fuzz/FuzzOptions) hold real option lists and broken ones.
func FuzzOptions(f *testing.F) {
	for _, s := range loadSeeds(f, "FuzzOptions") {
		f.Add(s.data, s.int(f, "want"))
	}
	f.Fuzz(func(t *testing.T, b []byte, want int) {
		if len(b) > 40 {
			b = b[:40] // an option area is at most 40 bytes
		}
		want = len(b) + (want&0xff)%(41-len(b))
		var o Options
		parseOptions(&o, b, want)
		if o.N > maxOptions || o.NSACK > maxSACK || o.Padding < 0 || o.Padding > 40 {
			t.Fatalf("N %d NSACK %d padding %d", o.N, o.NSACK, o.Padding)
		}
		for i := 0; i < o.N; i++ {
			opt := o.List[i]
			if int(opt.Off) >= len(b) {
				t.Fatalf("option %d at offset %d of %d bytes", i, opt.Off, len(b))
			}
			_ = o.Data(opt)
		}
	})
}
