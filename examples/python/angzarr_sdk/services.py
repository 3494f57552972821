"""The wire services of each kind of component (proto/angzarr/*.proto), as serve() takes them."""
from angzarr import process_manager_pb2, types_pb2, upcaster_pb2

from .aggregate import Aggregate
from .errors import invalid_argument
from .process_manager import ProcessManager
from .projector import Projector
from .saga import Saga
from .server import Service

DESCRIPTOR_REQUEST = types_pb2.GetDescriptorRequest


def aggregate_services(aggregate: Aggregate) -> list[Service]:
    return [
        Service(
            "angzarr.Aggregate",
            {
                "GetDescriptor": (DESCRIPTOR_REQUEST, lambda _r: aggregate.descriptor()),
                "Handle": (types_pb2.ContextualCommand, aggregate.handle),
            },
        )
    ]


def upcaster_services(upcaster) -> list[Service]:
    return [Service("angzarr.Upcaster", {"Upcast": (upcaster_pb2.UpcastRequest, upcaster.upcast)})]


def saga_services(saga: Saga) -> list[Service]:
    return [
        Service(
            "angzarr.Saga",
            {
                "GetDescriptor": (DESCRIPTOR_REQUEST, lambda _r: saga.descriptor()),
                "Prepare": (types_pb2.SagaPrepareRequest, saga.prepare),
                "Execute": (types_pb2.SagaExecuteRequest, saga.execute),
            },
        )
    ]


def process_manager_services(pm: ProcessManager) -> list[Service]:
    return [
        Service(
            "angzarr.ProcessManager",
            {
                "GetDescriptor": (DESCRIPTOR_REQUEST, lambda _r: pm.descriptor()),
                "Prepare": (process_manager_pb2.ProcessManagerPrepareRequest, pm.prepare),
                "Handle": (process_manager_pb2.ProcessManagerHandleRequest, pm.handle),
            },
        )
    ]


def projector_services(projector: Projector) -> list[Service]:
    def sync(request: types_pb2.SyncEventBook):
        if not request.HasField("events"):
            raise invalid_argument("request has no events")
        return projector.handle(request.events)

    return [
        Service(
            "angzarr.Projector",
            {
                "GetDescriptor": (DESCRIPTOR_REQUEST, lambda _r: projector.descriptor()),
                "Handle": (types_pb2.EventBook, projector.handle),
            },
        ),
        Service(
            "angzarr.ProjectorCoordinator",
            {
                "HandleSync": (types_pb2.SyncEventBook, sync),
                "HandleSpeculative": (types_pb2.EventBook, lambda book: projector.handle(book, True)),
            },
        ),
    ]
