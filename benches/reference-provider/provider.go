// The tfplugin6.Provider service of terraform-provider-nullref: one resource
// type, nullref_thing { name (required string), id (computed string) }, whose
// apply sets id = name. Every RPC does the least a correct provider can do;
// the RPCs it does not need answer codes.Unimplemented.
package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"

	"nullref/tfplugin6"
)

const resourceType = "nullref_thing"

type provider struct {
	tfplugin6.UnimplementedProviderServer
}

var capabilities = &tfplugin6.ServerCapabilities{PlanDestroy: true, GetProviderSchemaOptional: true}

func (*provider) GetMetadata(context.Context, *tfplugin6.GetMetadata_Request) (*tfplugin6.GetMetadata_Response, error) {
	return &tfplugin6.GetMetadata_Response{
		ServerCapabilities: capabilities,
		Resources:          []*tfplugin6.GetMetadata_ResourceMetadata{{TypeName: resourceType}},
	}, nil
}

func (*provider) GetProviderSchema(context.Context, *tfplugin6.GetProviderSchema_Request) (*tfplugin6.GetProviderSchema_Response, error) {
	str := []byte(`"string"`)
	return &tfplugin6.GetProviderSchema_Response{
		ServerCapabilities: capabilities,
		Provider:           &tfplugin6.Schema{Block: &tfplugin6.Schema_Block{}},
		ResourceSchemas: map[string]*tfplugin6.Schema{
			resourceType: {Block: &tfplugin6.Schema_Block{Attributes: []*tfplugin6.Schema_Attribute{
				{Name: "name", Type: str, Required: true},
				{Name: "id", Type: str, Computed: true},
			}}},
		},
	}, nil
}

func (*provider) ValidateProviderConfig(context.Context, *tfplugin6.ValidateProviderConfig_Request) (*tfplugin6.ValidateProviderConfig_Response, error) {
	return &tfplugin6.ValidateProviderConfig_Response{}, nil
}

func (*provider) ValidateResourceConfig(context.Context, *tfplugin6.ValidateResourceConfig_Request) (*tfplugin6.ValidateResourceConfig_Response, error) {
	return &tfplugin6.ValidateResourceConfig_Response{}, nil
}

func (*provider) ConfigureProvider(context.Context, *tfplugin6.ConfigureProvider_Request) (*tfplugin6.ConfigureProvider_Response, error) {
	return &tfplugin6.ConfigureProvider_Response{}, nil
}

// UpgradeResourceState: nothing to upgrade; Terraform accepts the stored JSON.
func (*provider) UpgradeResourceState(_ context.Context, req *tfplugin6.UpgradeResourceState_Request) (*tfplugin6.UpgradeResourceState_Response, error) {
	return &tfplugin6.UpgradeResourceState_Response{
		UpgradedState: &tfplugin6.DynamicValue{Json: req.GetRawState().GetJson()},
	}, nil
}

// ReadResource: the thing exists only in the state, so it is as stored.
func (*provider) ReadResource(_ context.Context, req *tfplugin6.ReadResource_Request) (*tfplugin6.ReadResource_Response, error) {
	return &tfplugin6.ReadResource_Response{NewState: req.CurrentState}, nil
}

// PlanResourceChange: the proposed state, with id unknown when apply will set
// it (create, or a new name); destroy plans are returned as proposed (null).
func (*provider) PlanResourceChange(_ context.Context, req *tfplugin6.PlanResourceChange_Request) (*tfplugin6.PlanResourceChange_Response, error) {
	resp := &tfplugin6.PlanResourceChange_Response{PlannedState: req.ProposedNewState}
	if isNull(req.ProposedNewState) {
		return resp, nil
	}
	_, name, err := thingFields(req.ProposedNewState)
	if err != nil {
		resp.Diagnostics = errorDiag(err)
		return resp, nil
	}
	id := unknown
	if !isNull(req.PriorState) {
		priorID, priorName, err := thingFields(req.PriorState)
		if err != nil {
			resp.Diagnostics = errorDiag(err)
			return resp, nil
		}
		if bytes.Equal(priorName, name) {
			id = priorID
		}
	}
	resp.PlannedState = &tfplugin6.DynamicValue{Msgpack: thing(id, name)}
	return resp, nil
}

// ApplyResourceChange: id = name; destroy returns the planned null.
func (*provider) ApplyResourceChange(_ context.Context, req *tfplugin6.ApplyResourceChange_Request) (*tfplugin6.ApplyResourceChange_Response, error) {
	resp := &tfplugin6.ApplyResourceChange_Response{NewState: req.PlannedState}
	if isNull(req.PlannedState) {
		return resp, nil
	}
	_, name, err := thingFields(req.PlannedState)
	if err != nil {
		resp.Diagnostics = errorDiag(err)
		return resp, nil
	}
	resp.NewState = &tfplugin6.DynamicValue{Msgpack: thing(name, name)}
	return resp, nil
}

func errorDiag(err error) []*tfplugin6.Diagnostic {
	return []*tfplugin6.Diagnostic{{Severity: tfplugin6.Diagnostic_ERROR, Summary: "nullref: " + err.Error()}}
}

// Just enough msgpack for a nullref_thing object, so no msgpack library is
// needed: values are kept as their raw encodings and copied through.

// unknown is cty's msgpack encoding of an unknown value: fixext1 type 0.
var unknown = []byte{0xd4, 0, 0}

func isNull(v *tfplugin6.DynamicValue) bool {
	return v == nil || (len(v.Msgpack) == 1 && v.Msgpack[0] == 0xc0)
}

// thing encodes the object {id, name} from raw msgpack values, keys sorted
// as cty does.
func thing(id, name []byte) []byte {
	b := append([]byte{0x82, 0xa2, 'i', 'd'}, id...)
	b = append(b, 0xa4, 'n', 'a', 'm', 'e')
	return append(b, name...)
}

// thingFields returns the raw id and name of a msgpack nullref_thing object.
func thingFields(v *tfplugin6.DynamicValue) (id, name []byte, err error) {
	fields, err := objectFields(v.Msgpack)
	if err != nil {
		return nil, nil, err
	}
	if fields["id"] == nil || fields["name"] == nil {
		return nil, nil, fmt.Errorf("not a %s object: % x", resourceType, v.Msgpack)
	}
	return fields["id"], fields["name"], nil
}

// objectFields splits a msgpack map with string keys into key -> raw value.
func objectFields(b []byte) (map[string][]byte, error) {
	var n, i int
	switch {
	case len(b) > 0 && b[0]&0xf0 == 0x80: // fixmap
		n, i = int(b[0]&0x0f), 1
	case len(b) >= 3 && b[0] == 0xde: // map 16
		n, i = int(binary.BigEndian.Uint16(b[1:])), 3
	default:
		return nil, fmt.Errorf("expected a msgpack map, got % x", b)
	}
	fields := make(map[string][]byte, n)
	for ; n > 0; n-- {
		k, err := skip(b, i)
		if err != nil {
			return nil, err
		}
		v, err := skip(b, k)
		if err != nil {
			return nil, err
		}
		key, err := strBody(b[i:k])
		if err != nil {
			return nil, err
		}
		fields[key], i = b[k:v], v
	}
	return fields, nil
}

// skip returns the offset just past the msgpack value that starts at b[i]:
// nil, booleans, small ints, strings and fixext1 (unknown) are enough here.
func skip(b []byte, i int) (int, error) {
	if i >= len(b) {
		return 0, fmt.Errorf("truncated msgpack")
	}
	c, end := b[i], 0
	switch {
	case c <= 0x7f || c >= 0xe0 || c == 0xc0 || c == 0xc2 || c == 0xc3:
		end = i + 1
	case c&0xe0 == 0xa0: // fixstr
		end = i + 1 + int(c&0x1f)
	case c == 0xd9 && i+1 < len(b): // str 8
		end = i + 2 + int(b[i+1])
	case c == 0xda && i+2 < len(b): // str 16
		end = i + 3 + int(binary.BigEndian.Uint16(b[i+1:]))
	case c == 0xdb && i+4 < len(b): // str 32
		end = i + 5 + int(binary.BigEndian.Uint32(b[i+1:]))
	case c == 0xd4: // fixext1
		end = i + 3
	default:
		return 0, fmt.Errorf("unsupported msgpack byte %#x", c)
	}
	if end > len(b) {
		return 0, fmt.Errorf("truncated msgpack")
	}
	return end, nil
}

// strBody returns the string that the raw msgpack string s encodes.
func strBody(s []byte) (string, error) {
	switch c := s[0]; {
	case c&0xe0 == 0xa0:
		return string(s[1:]), nil
	case c == 0xd9:
		return string(s[2:]), nil
	case c == 0xda:
		return string(s[3:]), nil
	case c == 0xdb:
		return string(s[5:]), nil
	}
	return "", fmt.Errorf("expected a msgpack string key, got %#x", s[0])
}
