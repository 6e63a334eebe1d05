package kit_test

import (
	"maps"
	"slices"
	"testing"

	"lab/services/contract"
	"lab/services/kit"
)

func TestPresetsAreTheContracts(t *testing.T) {
	if got := slices.Sorted(maps.Keys(kit.Presets)); !slices.Equal(got, contract.Presets) {
		t.Errorf("kit knows presets %v, the contract names %v", got, contract.Presets)
	}
}
