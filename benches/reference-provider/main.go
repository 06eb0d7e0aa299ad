// terraform-provider-nullref: the smallest Terraform provider we could write
// in Go, which does no work at all.
//
// It exists only as a reference point for benchmarks: running Terraform with
// this provider measures what Terraform itself costs for any gRPC plugin
// (process start, go-plugin handshake, AutoMTLS, schema fetch, one gRPC round
// trip per resource operation), so our own provider's numbers can be read
// against it. It is built by build.sh into a temp dir and never shipped.
//
// It speaks plugin protocol 6 through a hand-rolled go-plugin server: magic
// cookie check, AutoMTLS, a unix socket, the handshake line on stdout, and the
// gRPC services Terraform's go-plugin client uses (tfplugin6.Provider,
// grpc.health.v1.Health for "plugin", plugin.GRPCController).
package main

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"fmt"
	"math/big"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	goplugin "nullref/goplugin" // proto package "plugin"
	"nullref/tfplugin6"
)

const (
	magicCookieKey   = "TF_PLUGIN_MAGIC_COOKIE"
	magicCookieValue = "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2"
)

func main() {
	if os.Getenv(magicCookieKey) != magicCookieValue {
		fmt.Fprintln(os.Stderr, "This binary is a Terraform plugin (a benchmark reference provider); "+
			"it is not meant to be run directly.")
		os.Exit(1)
	}
	if !offers(os.Getenv("PLUGIN_PROTOCOL_VERSIONS"), "6") {
		fmt.Fprintln(os.Stderr, "terraform-provider-nullref speaks only plugin protocol 6; "+
			"PLUGIN_PROTOCOL_VERSIONS =", os.Getenv("PLUGIN_PROTOCOL_VERSIONS"))
		os.Exit(1)
	}
	// go-plugin servers ignore ^C: Terraform forwards it as a Stop instead.
	signal.Ignore(os.Interrupt)

	if err := serve(); err != nil {
		fmt.Fprintln(os.Stderr, "terraform-provider-nullref:", err)
		os.Exit(1)
	}
}

// offers reports whether the comma-separated list contains v.
func offers(list, v string) bool {
	for _, s := range strings.Split(list, ",") {
		if strings.TrimSpace(s) == v {
			return true
		}
	}
	return false
}

func serve() error {
	tlsConfig, certDER, err := autoMTLS(os.Getenv("PLUGIN_CLIENT_CERT"))
	if err != nil {
		return err
	}

	// An empty PLUGIN_UNIX_SOCKET_DIR means the system temp dir.
	dir, err := os.MkdirTemp(os.Getenv("PLUGIN_UNIX_SOCKET_DIR"), "plugin")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if err := os.Chmod(dir, 0o700); err != nil {
		return err
	}
	socket := filepath.Join(dir, "plugin.sock")
	lis, err := net.Listen("unix", socket)
	if err != nil {
		return err
	}

	server := grpc.NewServer(grpc.Creds(credentials.NewTLS(tlsConfig)))
	tfplugin6.RegisterProviderServer(server, &provider{})
	healthServer := health.NewServer()
	healthServer.SetServingStatus("plugin", healthpb.HealthCheckResponse_SERVING)
	healthpb.RegisterHealthServer(server, healthServer)
	stopped := make(chan struct{})
	goplugin.RegisterGRPCControllerServer(server, &controller{server: server, stopped: stopped})

	// The handshake line: core protocol | app protocol | network | address |
	// protocol | server certificate (unpadded base64 DER).
	out := bufio.NewWriter(os.Stdout)
	fmt.Fprintf(out, "1|6|unix|%s|grpc|%s\n", socket, base64.RawStdEncoding.EncodeToString(certDER))
	if err := out.Flush(); err != nil {
		return err
	}
	// Nothing else goes to stdout. Closing it now lets Terraform's stdout
	// reader see EOF at once, instead of racing our exit (go-plugin then logs
	// "[ERROR] error encountered while scanning stdout: file already closed").
	os.Stdout.Close()

	if err := server.Serve(lis); err != nil {
		return err
	}
	// Serve returns as soon as a stop begins; let the graceful stop finish
	// (Terraform closes its connection right after Shutdown), but not forever.
	select {
	case <-stopped:
	case <-time.After(2 * time.Second):
	}
	return nil
}

// autoMTLS builds the server side of go-plugin's AutoMTLS: a fresh
// self-signed certificate for us, and Terraform's certificate as the only
// client CA.
func autoMTLS(clientCertPEM string) (*tls.Config, []byte, error) {
	if clientCertPEM == "" {
		return nil, nil, fmt.Errorf("PLUGIN_CLIENT_CERT is not set (Terraform always sets it)")
	}
	clientCAs := x509.NewCertPool()
	if !clientCAs.AppendCertsFromPEM([]byte(clientCertPEM)) {
		return nil, nil, fmt.Errorf("PLUGIN_CLIENT_CERT holds no PEM certificate")
	}

	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		return nil, nil, err
	}
	now := time.Now()
	template := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "localhost"},
		DNSNames:              []string{"localhost"},
		NotBefore:             now.Add(-30 * time.Second),
		NotAfter:              now.Add(30 * 365 * 24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	}
	certDER, err := x509.CreateCertificate(rand.Reader, template, template, &key.PublicKey, key)
	if err != nil {
		return nil, nil, err
	}
	return &tls.Config{
		MinVersion:   tls.VersionTLS12,
		Certificates: []tls.Certificate{{Certificate: [][]byte{certDER}, PrivateKey: key}},
		ClientAuth:   tls.RequireAndVerifyClientCert,
		ClientCAs:    clientCAs,
		NextProtos:   []string{"h2"},
	}, certDER, nil
}

// controller is go-plugin's GRPCController: Terraform calls Shutdown when it
// is done with us.
type controller struct {
	goplugin.UnimplementedGRPCControllerServer
	server  *grpc.Server
	stopped chan struct{}
}

func (c *controller) Shutdown(context.Context, *goplugin.Empty) (*goplugin.Empty, error) {
	// GracefulStop waits for this very call to finish, so run it aside.
	go func() {
		c.server.GracefulStop()
		close(c.stopped)
	}()
	return &goplugin.Empty{}, nil
}
