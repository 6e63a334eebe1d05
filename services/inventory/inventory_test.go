package inventory_test

import (
	"fmt"
	"net/http"
	"sync"
	"testing"

	"lab/internal/shoptest"
	"lab/services/inventory"
)

func reserve(t *testing.T, base, order string, product, qty int) int {
	t.Helper()
	sh := &shoptest.Shopper{Base: base}
	r, err := sh.Do(http.MethodPost, "/reservations", map[string]any{
		"order_id": order, "items": []map[string]int{{"product_id": product, "qty": qty}}})
	if err != nil {
		t.Error(err)
	}
	return r.Code
}

func stock(t *testing.T, base string, product int) inventory.Stock {
	t.Helper()
	var st inventory.Stock
	if err := shoptest.GetJSON(fmt.Sprintf("%s/stock/%d", base, product), &st); err != nil {
		t.Fatal(err)
	}
	return st
}

// TestConcurrentReservationsNeverOversell sends 40 reservations at once for
// a product with 10 in stock: exactly 10 win, and stock never goes negative.
func TestConcurrentReservationsNeverOversell(t *testing.T) {
	url := shoptest.Broker(t, map[string]string{"catalog.products": "5", "inventory.initial_stock": "10"})
	base := shoptest.Serve(t, inventory.Service(), url, 1)
	var mu sync.Mutex
	codes := map[int]int{}
	var wg sync.WaitGroup
	for i := 0; i < 40; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := reserve(t, base, fmt.Sprintf("ord_%d", i), 1, 1)
			mu.Lock()
			codes[c]++
			mu.Unlock()
		}()
	}
	wg.Wait()
	if codes[http.StatusCreated] != 10 || codes[http.StatusConflict] != 30 {
		t.Fatalf("status codes %v, want 10 created and 30 conflicts", codes)
	}
	st := stock(t, base, 1)
	if st.Available != 0 || st.Reserved != 10 || st.Initial != st.Available+st.Reserved+st.Sold {
		t.Fatalf("stock %+v, want 0 available, 10 reserved, conserved", st)
	}
}

// TestReservationIsIdempotentByOrder repeats one order's reservation at once
// from many clients: it is made once.
func TestReservationIsIdempotentByOrder(t *testing.T) {
	url := shoptest.Broker(t, map[string]string{"catalog.products": "5", "inventory.initial_stock": "10"})
	base := shoptest.Serve(t, inventory.Service(), url, 1)
	var wg sync.WaitGroup
	for i := 0; i < 10; i++ {
		wg.Add(1)
		go func() { defer wg.Done(); reserve(t, base, "ord_same", 2, 3) }()
	}
	wg.Wait()
	if st := stock(t, base, 2); st.Reserved != 3 || st.Available != 7 {
		t.Fatalf("stock %+v after one order reserved 3 ten times, want 3 reserved", st)
	}
	if code := reserve(t, base, "ord_big", 2, 8); code != http.StatusConflict {
		t.Fatalf("reserving 8 of 7 left: %d, want 409", code)
	}
}
