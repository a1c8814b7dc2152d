mod origin;
mod request;
mod response;
mod server;
