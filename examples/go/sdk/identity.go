package sdk

import (
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"strings"
)

var (
	// NamespaceOID and NamespaceDNS are the RFC 4122 name spaces of the example roots.
	NamespaceOID = mustUUID("6ba7b812-9dad-11d1-80b4-00c04fd430c8")
	NamespaceDNS = mustUUID("6ba7b810-9dad-11d1-80b4-00c04fd430c8")
)

func mustUUID(text string) []byte {
	b, err := hex.DecodeString(strings.ReplaceAll(text, "-", ""))
	if err != nil || len(b) != 16 {
		panic("bad UUID " + text)
	}
	return b
}

// UUIDv5 of name in namespace (16 bytes).
func UUIDv5(namespace []byte, name string) []byte {
	h := sha1.New()
	h.Write(namespace)
	h.Write([]byte(name))
	sum := h.Sum(nil)[:16]
	sum[6] = (sum[6] & 0x0f) | 0x50
	sum[8] = (sum[8] & 0x3f) | 0x80
	return sum
}

// InventoryRoot is uuidv5(DNS, product_id) (example-domains §1.2).
func InventoryRoot(productID string) []byte { return UUIDv5(NamespaceDNS, productID) }

// OrderRoot is uuidv5(OID, "angzarr"+"order"+order number).
func OrderRoot(orderNumber string) []byte { return UUIDv5(NamespaceOID, "angzarrorder"+orderNumber) }

// CustomerRoot is uuidv5(OID, "angzarr"+"customer"+email).
func CustomerRoot(email string) []byte { return UUIDv5(NamespaceOID, "angzarrcustomer"+email) }

// IsUUID tells whether root is 16 bytes.
func IsUUID(root []byte) bool { return len(root) == 16 }

// UUIDText is the hyphenated lowercase text of 16 bytes (an order root's *order id*).
func UUIDText(b []byte) string {
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
