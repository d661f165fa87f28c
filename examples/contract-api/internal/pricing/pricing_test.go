package pricing

import (
	"errors"
	"reflect"
	"testing"
)

func TestFor(t *testing.T) {
	tests := []struct {
		product string
		months  int
		want    Quote
		wantErr bool
	}{
		{"fiber-500", 1, Quote{"fiber-500", 1, 3999, 0, 3999}, false},
		{"fiber-500", 11, Quote{"fiber-500", 11, 3999, 0, 43989}, false},
		{"fiber-500", 12, Quote{"fiber-500", 12, 3999, 5, 45589}, false},  // 47988 * 0.95 = 45588.6
		{"mobile-10", 24, Quote{"mobile-10", 24, 1299, 10, 28058}, false}, // 31176 * 0.9 = 28058.4
		{"fiber-1000", 60, Quote{"fiber-1000", 60, 5499, 10, 296946}, false},
		{"fiber-500", 0, Quote{}, true},
		{"fiber-500", 61, Quote{}, true},
		{"dial-up", 12, Quote{}, true},
	}
	for _, tt := range tests {
		got, err := For(tt.product, tt.months)
		if (err != nil) != tt.wantErr {
			t.Errorf("For(%q, %d) error = %v, want error %v", tt.product, tt.months, err, tt.wantErr)
			continue
		}
		if got != tt.want {
			t.Errorf("For(%q, %d) = %+v, want %+v", tt.product, tt.months, got, tt.want)
		}
	}
	if _, err := For("dial-up", 1); !errors.Is(err, ErrUnknownProduct) {
		t.Errorf("For(dial-up) error = %v, want ErrUnknownProduct", err)
	}
}

func TestProducts(t *testing.T) {
	want := []string{"fiber-1000", "fiber-500", "mobile-10", "tv-basic"}
	if got := Products(); !reflect.DeepEqual(got, want) {
		t.Errorf("Products() = %v, want %v", got, want)
	}
}
